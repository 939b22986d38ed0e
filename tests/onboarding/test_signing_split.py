"""Signing: validated by a pure function, written in one short transaction, the PDF after.

A failure to render the signed copy never loses the signature; the copy is rendered again
when the signer asks for it.
"""

import pytest
from django.db import connection

from portal.models import AuditEvent, CodeOfConductSignature, Document
from portal.onboarding.helpers import WRONG_PASSWORD, signature_problems
from portal.onboarding.services import conduct
from portal.onboarding.services.conduct import (
    code_of_conduct_sign,
    code_of_conduct_signed_copy_ensure,
)
from portal.roles import Role
from tests.factories import TEST_PASSWORD, UserFactory, latest_code_of_conduct

STATEMENTS = [{"text": "One", "initials": True}, {"text": "Two", "initials": False}]


def _sign(user, version):
    return code_of_conduct_sign(
        user=user,
        version=version.version,
        printed_name=user.full_name,
        initials={
            i: "".join(p[0] for p in user.full_name.split())
            for i, statement in enumerate(version.statements)
            if statement.get("initials")
        },
        password=TEST_PASSWORD,
        ip_address="192.0.2.1",
    )


# --- The pure check ------------------------------------------------------------------------


def test_a_correct_form_has_no_problems_and_gives_the_initials_to_store():
    name, stored, problems = signature_problems(
        statements=STATEMENTS,
        printed_name="  jane   SMITH ",
        account_name="Jane Smith",
        initials={0: "j.s."},
        password_correct=True,
    )

    assert (name, stored, problems) == ("jane SMITH", {"0": "JS"}, {})


def test_every_problem_is_reported_at_once_by_field():
    _, stored, problems = signature_problems(
        statements=STATEMENTS,
        printed_name="Someone Else",
        account_name="Jane Smith",
        initials={},
        password_correct=False,
    )

    assert stored == {}
    assert set(problems) == {"printed_name", "initials_0", "password"}
    assert problems["password"] == WRONG_PASSWORD


def test_an_account_without_a_name_takes_the_typed_one():
    name, _, problems = signature_problems(
        statements=STATEMENTS,
        printed_name="Nia Newcomer",
        account_name="",
        initials={0: "NN"},
        password_correct=True,
    )

    assert name == "Nia Newcomer"
    assert problems == {}


# --- Writing, then rendering ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_rendering_keeps_the_signature_without_a_copy(monkeypatch):
    user = UserFactory(roles=[Role.RESEARCHER])
    version = latest_code_of_conduct()

    def broken(*args, **kwargs):
        raise RuntimeError("the renderer is down")

    monkeypatch.setattr(conduct, "render_pdf", broken)

    signature = _sign(user, version)

    signature.refresh_from_db()
    assert signature.signed_copy is None
    assert AuditEvent.objects.filter(action="code_of_conduct.sign").count() == 1
    assert not AuditEvent.objects.filter(action="code_of_conduct.signed_copy").exists()


@pytest.mark.django_db
def test_the_copy_is_rendered_on_demand_once_and_audited(monkeypatch):
    user = UserFactory(roles=[Role.RESEARCHER])
    version = latest_code_of_conduct()
    monkeypatch.setattr(conduct, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError))
    signature = _sign(user, version)
    monkeypatch.undo()

    first = code_of_conduct_signed_copy_ensure(signature=signature, actor=user)
    again = code_of_conduct_signed_copy_ensure(signature=signature, actor=user)

    signature.refresh_from_db()
    assert signature.signed_copy == first == again
    assert first.owner == user
    assert first.content_type == "application/pdf"
    event = AuditEvent.objects.get(action="code_of_conduct.signed_copy")
    assert event.after == {"signed_copy": str(first.pk), "signed_copy_sha256": first.sha256}


@pytest.mark.django_db
def test_someone_else_cannot_have_a_signers_copy_rendered():
    from portal.errors import PermissionRefused

    user = UserFactory(roles=[Role.RESEARCHER])
    signature = _sign(user, latest_code_of_conduct())
    CodeOfConductSignature.objects.filter(pk=signature.pk).update(signed_copy=None)
    signature.refresh_from_db()
    documents_before = Document.objects.count()

    with pytest.raises(PermissionRefused):
        code_of_conduct_signed_copy_ensure(
            signature=signature, actor=UserFactory(roles=[Role.PROGRAM_ADMIN])
        )

    signature.refresh_from_db()
    assert signature.signed_copy is None
    assert Document.objects.count() == documents_before
    assert AuditEvent.objects.filter(action="code_of_conduct.signed_copy").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_pdf_is_rendered_after_the_signature_commits(monkeypatch):
    user = UserFactory(roles=[Role.RESEARCHER])
    version = latest_code_of_conduct()
    seen = {}
    real = conduct.render_pdf

    def watching(*args, **kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        seen["signature_committed"] = CodeOfConductSignature.objects.filter(user=user).exists()
        return real(*args, **kwargs)

    monkeypatch.setattr(conduct, "render_pdf", watching)

    signature = _sign(user, version)

    assert seen == {"in_transaction": False, "signature_committed": True}
    signature.refresh_from_db()
    assert signature.signed_copy is not None
