"""The layering, checked by reading the source.

Every write on a domain model goes through a service: nothing else in the apps calls
`.save(`, `.create(`, `.update(`, `.delete(` or `bulk_*` on a model or queryset. The
cross-cutting writers of `portal/` (audit log, notifications, documents, agreement
versions) are services of their own, and migrations write as they must.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("portal", "applications", "review", "compliance")
WRITERS = {
    "portal/audit.py",
    "portal/notifications.py",
    "portal/documents.py",
    "portal/agreements.py",
    "portal/models/users.py",  # the user manager that createsuperuser calls
}
WRITE = re.compile(
    r"\.(save|delete|bulk_create|bulk_update|update_or_create|get_or_create)\(|"
    r"\.objects(\.\w+\([^)]*\))*\.(create|update|delete)\(|"
    r"\b(set_password|set_unusable_password)\(\w"
)


def _is_service(relative: str) -> bool:
    parts = relative.split("/")
    return (
        "migrations" in parts
        or "services" in parts
        or parts[-1] == "services.py"
        or relative in WRITERS
    )


def _writes_outside_services() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if _is_service(relative):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if WRITE.search(code):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_domain_model_is_written_outside_a_service():
    assert _writes_outside_services() == []


@pytest.mark.parametrize(
    "line",
    [
        "    consent.save(update_fields=['withdrawn_at'])",
        "    Consent.objects.filter(pk=1).update(withdrawn_at=None)",
        "    Consent.objects.create(user=user)",
        "    RosterEntry.objects.bulk_create(rows)",
        "    user.set_password(password)",
    ],
)
def test_the_check_recognises_a_write(line):
    assert WRITE.search(line)


def test_the_check_lets_reads_through():
    assert not WRITE.search("    Consent.objects.filter(user=user).exists()")
    assert not WRITE.search("    statuses.update(batch)")
