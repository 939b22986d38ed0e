"""The compose file and the Dockerfile describe the production layout (no Docker engine needed).

docker-compose.yml must start web (gunicorn), worker and beat from one image with one
environment, next to PostgreSQL, Redis and a mail catcher.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PORTAL_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _depends_on(service: dict[str, Any]) -> set[str]:
    depends = service.get("depends_on", {})
    return set(depends) if isinstance(depends, dict | list) else set()


def test_compose_defines_the_six_services(services):
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "mailpit"}


def test_web_worker_and_beat_share_one_image_built_from_the_dockerfile(services):
    images = {services[name].get("image") for name in PORTAL_SERVICES}
    assert len(images) == 1
    assert None not in images
    for name in PORTAL_SERVICES:
        build = services[name].get("build")
        context = build.get("context") if isinstance(build, dict) else build
        assert context == ".", f"{name} is not built from this directory's Dockerfile"


def test_web_worker_and_beat_share_one_environment(services):
    environments = [services[name]["environment"] for name in PORTAL_SERVICES]
    assert environments[0]
    assert all(env == environments[0] for env in environments)


def test_environment_points_at_the_compose_services(services):
    env = services["web"]["environment"]
    assert re.fullmatch(r"postgres(ql)?://[^@]+@postgres:5432/\w+", env["DATABASE_URL"])
    assert re.fullmatch(r"redis://redis:6379/\d+", env["REDIS_URL"])
    assert "mailpit" in env["EMAIL_HOST"]
    assert str(env["DEBUG"]).lower() == "false"


def test_portal_processes_depend_on_postgres_and_redis(services):
    for name in PORTAL_SERVICES:
        assert {"postgres", "redis"} <= _depends_on(services[name]), name


def test_each_portal_process_runs_its_own_command(services):
    assert "gunicorn portal.wsgi" in _command(services["web"])
    assert "celery -A portal worker" in _command(services["worker"])
    assert "celery -A portal beat" in _command(services["beat"])


def test_web_has_a_healthcheck_on_healthz(services):
    healthcheck = services["web"]["healthcheck"]
    test = healthcheck["test"]
    assert "/healthz" in (" ".join(test) if isinstance(test, list) else test)


def test_secret_key_is_required_not_defaulted(services):
    # A compose stack must not come up with a well-known key.
    assert services["web"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_dockerfile_starts_from_python_312_and_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert froms[0].startswith("python:3.12")
    assert re.search(r"^USER\s+(?!root\b)\S+", dockerfile, flags=re.MULTILINE)
    assert "npm ci" in dockerfile
    assert "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "node_modules", ".env", "var", ".git"} <= ignored


def test_env_example_names_every_compose_variable():
    """Each ${VAR} the compose file reads is documented in .env.example."""
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    documented = set(
        re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE)
    )
    assert used - documented == set()
