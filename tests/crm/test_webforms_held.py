"""Held web form submissions: spam and posts over a rate limit are listed newest first,
released into a lead (once, whoever presses at the same time) or deleted, by whoever manages
web forms; audited."""

import asyncio
from typing import Any

import pytest

from crm.actors import system_actor
from crm.errors import NotFoundError, PermissionDeniedError
from crm.rules.webforms import FormField
from crm.webforms import definitions, held
from crm.webforms.submissions import SubmissionMeta
from models import Contact, FormSubmission, HistoryEntry, OutboxMessage, WebForm
from models.enums import HistoryKind, Level
from tests.conftest import actor_of
from tests.posts import post_lead, store_post

CLI = system_actor("cli")


def visitor(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Jean Dupont {n}",
        "email": f"jean{n}@example.fr",
        "message": "Call me back",
        "consent": "on",
        **extra,
    }


async def contact_form() -> WebForm:
    return await WebForm.get(slug="contact")


async def hold(payload: dict[str, Any], slug: str = "contact", **meta: Any) -> int:
    """A post stored held over a rate limit (or as spam with `spam_reason`)."""
    meta.setdefault("hold_reason", "rate limit: address")
    result = await store_post(slug, payload, SubmissionMeta(**meta))
    assert result.status in ("held", "spam")
    return result.submission_id


async def test_held_and_spam_posts_are_listed_newest_first_with_reason_and_who(db):
    form = await contact_form()
    first = await hold(visitor(1))
    second = await hold(visitor(2), hold_reason=None, spam_reason="trap")
    await post_lead("contact", visitor(3))  # a lead: not listed
    third = await hold(visitor(4), hold_reason="rate limit: form")
    page = await held.list_held(CLI, form.id)
    assert [i.id for i in page.items] == [third, second, first]
    assert [(i.status, i.reason) for i in page.items] == [
        ("held", "rate limit: form"),
        ("spam", "trap"),
        ("held", "rate limit: address"),
    ]
    assert (page.items[0].name, page.items[0].email) == ("Jean Dupont 4", "jean4@example.fr")
    assert (page.total, page.pages, page.page, page.slug) == (3, 1, 0, "contact")


async def test_the_list_is_paged(db):
    form = await contact_form()
    ids = [await hold(visitor(n)) for n in range(25)]
    # Stored within one clock tick they tie on time: the id breaks the tie, newest first.
    first = await held.list_held(CLI, form.id, page=0, per_page=10)
    last = await held.list_held(CLI, form.id, page=7, per_page=10)  # clamped
    assert [i.id for i in first.items] == ids[::-1][:10]
    assert (last.page, last.pages, [i.id for i in last.items]) == (2, 3, ids[4::-1])


async def test_the_summary_reads_the_name_and_email_through_the_fields():
    fields = [
        FormField("prenom", "text", {"en": "First"}, maps_to="first_name"),
        FormField("nom", "text", {"en": "Last"}, maps_to="last_name"),
        FormField("courriel", "email", {"en": "Mail"}, maps_to="email"),
    ]
    payload = {"prenom": "Ana\u202e", "nom": "Lima", "courriel": "ana@x.pt", "name": "no"}
    assert held.summary_of(fields, payload) == ("Ana Lima", "ana@x.pt")
    assert held.summary_of([], {"name": "x" * 300, "email": ["a@b.c"]}) == (
        "x" * 99 + "…",
        "a@b.c",
    )
    assert held.summary_of([], {"name": {"nested": 1}}) == (None, None)


async def test_a_release_makes_the_lead_and_its_alert(db, make_staff):
    admin = await make_staff("Alice", admin=True)
    form = await contact_form()
    submission_id = await hold(visitor(1))
    result = await held.release_held(await actor_of(admin), form.id, submission_id)
    assert result.status == "created" and result.contact_id is not None
    row = await FormSubmission.get(id=submission_id)
    assert (row.status, row.reason, row.contact_id) == ("created", None, result.contact_id)
    assert await Contact.filter(id=result.contact_id, deleted_at=None).exists()
    assert await OutboxMessage.filter(kind="lead").count() == 1
    audit = await HistoryEntry.get(entity="form_submission", entity_id=submission_id)
    assert (audit.kind, audit.before, audit.after) == (
        HistoryKind.RESTORED,
        "held: rate limit: address",
        "received",
    )
    assert audit.actor_staff_id == admin.id
    assert (await held.list_held(CLI, form.id)).total == 0


async def test_a_released_spam_post_is_processed_like_any_post(db):
    form = await contact_form()
    submission_id = await hold(visitor(1, email="not-an-email"), spam_reason="too fast")
    result = await held.release_held(CLI, form.id, submission_id)
    assert result.status == "rejected" and "email" in result.errors
    assert (await FormSubmission.get(id=submission_id)).status == "rejected"


async def test_two_admins_releasing_at_once_make_one_lead(db, make_staff):
    one = await actor_of(await make_staff("One", admin=True))
    two = await actor_of(await make_staff("Two", admin=True))
    form = await contact_form()
    submission_id = await hold(visitor(1))
    results = await asyncio.gather(
        held.release_held(one, form.id, submission_id),
        held.release_held(two, form.id, submission_id),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 1 and made[0].status == "created"
    assert len(refused) == 1 and isinstance(refused[0], NotFoundError)
    assert await Contact.all().count() == 1
    assert await OutboxMessage.filter(kind="lead").count() == 1
    assert await HistoryEntry.filter(entity="form_submission").count() == 1


async def test_a_delete_removes_the_post_and_is_audited(db):
    form = await contact_form()
    submission_id = await hold(visitor(1), hold_reason=None, spam_reason="trap")
    await held.delete_held(CLI, form.id, submission_id)
    assert not await FormSubmission.exists(id=submission_id)
    audit = await HistoryEntry.get(entity="form_submission", entity_id=submission_id)
    assert (audit.kind, audit.before, audit.actor_label) == (
        HistoryKind.PURGED,
        "spam: trap",
        "cli",
    )
    with pytest.raises(NotFoundError):
        await held.release_held(CLI, form.id, submission_id)
    with pytest.raises(NotFoundError):
        await held.delete_held(CLI, form.id, submission_id)


async def test_another_forms_or_a_settled_post_answers_as_a_missing_one(db):
    form = await contact_form()
    other = await definitions.create_form(CLI, {"slug": "other", "title": "Other"})
    theirs = await hold(visitor(1), slug="other")
    lead = await post_lead("contact", visitor(2))
    for submission_id in (theirs, lead.submission_id, 999_999, 2**40):
        with pytest.raises(NotFoundError) as missing:
            await held.release_held(CLI, form.id, submission_id)
        assert str(missing.value) == f"submission #{submission_id} is not held by this form"
        with pytest.raises(NotFoundError):
            await held.delete_held(CLI, form.id, submission_id)
    assert (await FormSubmission.get(id=theirs)).status == "held"
    assert (await FormSubmission.get(id=lead.submission_id)).status == "created"
    with pytest.raises(NotFoundError):
        await held.list_held(CLI, 2**40)
    assert (await held.list_held(CLI, other.form.id)).total == 1


async def test_only_who_manages_web_forms_may_see_release_or_delete(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    form = await contact_form()
    submission_id = await hold(visitor(1))
    for call in (
        held.list_held(plain, form.id),
        held.release_held(plain, form.id, submission_id),
        held.delete_held(plain, form.id, submission_id),
    ):
        with pytest.raises(PermissionDeniedError):
            await call
    assert (await FormSubmission.get(id=submission_id)).status == "held"
