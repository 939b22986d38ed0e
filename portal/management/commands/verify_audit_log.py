"""Verify the audit log's hash chain: exit 0 when it holds, non-zero naming the first break."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.audit import audit_last_hash, audit_verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit log in order and check every event's hash and its link to the one "
        "before. Exits 0 when the chain holds; otherwise exits 1 naming the first event "
        "that was altered, or that follows a removed one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit log chain broken at {broken.describe()}. "
                f"{checked} event(s) before it verified."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {checked} event(s) checked. Last hash: {audit_last_hash()}"
            )
        )
