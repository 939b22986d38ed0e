"""Mail backends that never break a line inside a link.

Python's email package encodes a text body as quoted-printable as soon as one line is
longer than the policy's 78 characters, and quoted-printable cuts long lines with "="
and writes "=" itself as "=3D": a confirmation link copied from such a message (or from
the console in development) no longer works. RFC 5322 allows lines of up to 998
characters, so these backends build each message with that limit: bodies go out as 7bit
(or 8bit when not ASCII), links intact.
"""

import email.policy
import smtplib
from typing import Any

from django.core.mail.backends import console, smtp
from django.core.mail.message import EmailMessage

# Line length RFC 5322 section 2.1.1 allows.
LONG_LINES = email.policy.SMTP.clone(max_line_length=998)
LONG_LINES_DISPLAY = email.policy.default.clone(max_line_length=998)


class SMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, with RFC 5322's line length instead of 78."""

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(addr) for addr in email_message.recipients()]
        message = email_message.message(policy=LONG_LINES)
        assert self.connection is not None  # opened by send_messages  # noqa: S101
        try:
            self.connection.sendmail(from_email, recipients, message.as_bytes())
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


class ConsoleBackend(console.EmailBackend):
    """Django's console backend (development), with links left whole to copy."""

    def write_message(self, message: Any) -> None:
        msg = message.message(policy=LONG_LINES_DISPLAY)
        self.stream.write(f"{msg.as_bytes().decode('utf-8', 'replace')}\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
