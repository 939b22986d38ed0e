"""One page under load for `tests.benchmarks.pages`: BENCH_PATH with BENCH_COOKIE."""

import os

from locust import FastHttpUser, constant, task


class PageUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self) -> None:
        headers = {"Cookie": os.environ.get("BENCH_COOKIE", "")}
        with self.client.get(
            os.environ["BENCH_PATH"], headers=headers, name="page", catch_response=True
        ) as response:
            if response.status_code != 200:  # a redirect to sign-in would measure nothing
                response.failure(f"status {response.status_code}")
