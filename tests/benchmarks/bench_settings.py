"""Settings for the page benchmark's server: production settings (DEBUG off), plain HTTP on
127.0.0.1, and one extra URL, the bare view every page is compared with."""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from portal.settings import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.benchmarks.bench_urls"
# Served over plain HTTP: the load generator sends the session cookie itself.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", "/tmp/portal-bench"))  # noqa: F405, S108
# `pages --session-save-every-request`: the session written on every request, as before
# SessionIdleRefreshMiddleware, to measure what that cost.
if os.environ.get("BENCH_SESSION_SAVE_EVERY_REQUEST"):
    SESSION_SAVE_EVERY_REQUEST = True
