"""Web forms (F8) against a real database: definitions, and submissions becoming contacts with
the duplicate policy, the responsible queue, the scheme's deal or quote and the staff alert."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from crm import contacts, customfields, leads, notifier
from crm.actors import system_actor
from crm.db import utcnow
from crm.errors import (
    IdempotencyKeyReusedError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from crm.webforms import definitions, submissions, worker
from crm.webforms.submissions import SubmissionMeta
from models import (
    Channel,
    Contact,
    ContactDeal,
    ContactQuote,
    Deal,
    FormSubmission,
    HistoryEntry,
    OutboxMessage,
    Quote,
    Staff,
    WebForm,
)
from models.enums import CallerKind, HistoryKind, Level, SubmissionStatus
from tests.conftest import actor_of
from tests.fakes import RecordingNotifier
from tests.posts import post_lead, store_post

CLI = system_actor("cli")
CONSENT = {"consent": "on"}


def jean(**extra: Any) -> dict[str, Any]:
    """A visitor's post to the default form."""
    return {
        "name": "Jean Dupont",
        "phone": "06 12 34 56 78",
        "email": "jean@example.fr",
        "message": "Call me back please",
        **CONSENT,
        **extra,
    }


async def submit(payload: dict[str, Any], slug: str = "contact", **meta: Any):
    """A post stored as the adapter stores it, then processed as the worker processes it: the
    lead's outcome (or the receipt of a post that is not one: rejected at once, spam, held)."""
    return await post_lead(slug, payload, SubmissionMeta(**meta))


async def make_form(slug: str = "leads", **settings: Any) -> definitions.FormDetails:
    return await definitions.create_form(CLI, {"slug": slug, "title": "Leads", **settings})


async def live_contacts() -> list[Contact]:
    return await Contact.filter(deleted_at=None, merged_into_id=None).order_by("id")


# --- the default form and definitions -------------------------------------------------------


async def test_the_contact_form_exists_after_the_first_start(db):
    form = await definitions.get_public_form("contact")
    assert [(f.name, f.type, f.required, f.maps_to) for f in form.fields] == [
        ("name", "text", True, "name"),
        ("phone", "tel", False, "phone"),
        ("email", "email", False, "email"),
        ("message", "textarea", False, "message"),
    ]
    assert all(set(f.label) == {"en", "fr"} for f in form.fields)
    assert form.consent_required and form.consent_text
    assert (form.scheme, form.has_api_key, form.is_active) == ("contact", False, True)
    await definitions.ensure_default_form()
    assert await WebForm.filter(slug="contact").count() == 1


async def test_a_form_is_created_with_the_contact_forms_defaults(db):
    details = await make_form(
        scheme="deal", dedup_policy="replace", allowed_origins="https://A.example/"
    )
    assert details.form.fields == (await definitions.get_public_form("contact")).fields
    assert (details.form.scheme, details.dedup_policy) == ("deal", "replace")
    assert details.form.allowed_origins == ["https://a.example"]
    assert details.form.consent_required and details.form.consent_text
    entry = await HistoryEntry.get(entity="web_form", entity_id=details.form.id)
    assert (entry.kind, entry.after, entry.actor_label) == (HistoryKind.CREATED, "leads", "cli")


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "contact"}, "slug"),
        ({"title": ""}, "title"),
        ({"scheme": "invoice"}, "scheme"),
        ({"dedup_policy": "skip"}, "dedup_policy"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
        ({"redirect_url": "ftp://example.com/x"}, "redirect_url"),
        ({"allowed_origins": ["https://example.com/path"]}, "allowed_origins"),
        ({"allowed_origins": ["https://*.example.com"]}, "allowed_origins"),
        ({"api_key": "short"}, "api_key"),
        ({"responsible_queue": [999999]}, "responsible_queue"),
        ({"responsible_queue": "a,b"}, "responsible_queue"),
        ({"consent_text": None, "consent_required": True}, "consent_text"),
        ({"fields": []}, "fields"),
        ({"fields": [{"name": "x", "type": "text", "label": "X"}]}, "fields"),
        ({"fields": [{"name": "consent", "type": "checkbox", "label": "C"}]}, "fields.0"),
        ({"fields": [{"name": "n", "type": "date", "label": "N", "maps_to": "name"}]}, "fields.0"),
        (
            {"fields": [{"name": "n", "type": "text", "label": "N", "maps_to": "custom.nope"}]},
            "fields",
        ),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_definition_is_refused_with_the_setting_named(db, settings, key):
    data = {"slug": "leads", "title": "Leads", **settings}
    with pytest.raises(ValidationError) as err:
        await definitions.create_form(CLI, data)
    assert key in err.value.errors or any(k.startswith(key) for k in err.value.errors)
    assert not await WebForm.exists(slug="leads")


async def test_a_custom_field_target_must_exist(db):
    fields = [
        {"name": "name", "type": "text", "label": "Name", "maps_to": "name"},
        {"name": "budget", "type": "number", "label": "Budget", "maps_to": "custom.budget"},
    ]
    with pytest.raises(ValidationError) as err:
        await make_form(fields=fields)
    assert err.value.errors == {"fields.1": "custom field 'budget' does not exist"}


async def test_only_staff_with_the_settings_right_manage_forms(db, make_staff):
    clerk = await actor_of(await make_staff("Clerk", level=Level.ALL))
    with pytest.raises(PermissionDeniedError):
        await definitions.create_form(clerk, {"slug": "x", "title": "X"})
    with pytest.raises(PermissionDeniedError):
        await definitions.list_forms(clerk)
    with pytest.raises(PermissionDeniedError):
        await definitions.edit_form(clerk, "contact", {"title": "Hacked"})
    boss = await actor_of(await make_staff("Boss", admin=True))
    assert [f.slug for f in await definitions.list_forms(boss)] == ["contact"]


async def test_editing_changes_only_the_given_settings_and_is_audited(db):
    await make_form(api_key="k" * 32)
    details = await definitions.edit_form(
        CLI, "leads", {"title": "Hot leads", "api_key": "z" * 32, "consent_required": False}
    )
    assert (details.form.title, details.form.has_api_key) == ("Hot leads", True)
    assert details.form.consent_required is False
    assert details.dedup_policy == "merge"
    changes = dict(
        await HistoryEntry.filter(entity="web_form", kind=HistoryKind.CHANGED).values_list(
            "field", "after"
        )
    )
    assert changes == {"title": "Hot leads", "api_key_hash": "set", "consent_required": "no"}
    with pytest.raises(ValidationError) as err:
        await definitions.edit_form(CLI, "leads", {"slug": "other"})
    assert "slug" in err.value.errors
    with pytest.raises(NotFoundError):
        await definitions.edit_form(CLI, "nope", {"title": "X"})


async def test_queue_members_toggled_at_once_all_keep_their_change(db, make_staff):
    """Two admins ticking staff at the same moment: no tick is lost (the row is locked)."""
    members = [await make_staff(f"S{i}") for i in range(6)]
    await make_form()
    await asyncio.gather(*(definitions.set_queue_member(CLI, "leads", m.id, True) for m in members))
    details = await definitions.get_form(CLI, "leads")
    assert sorted(details.responsible_queue) == sorted(m.id for m in members)
    # A double tap keeps the place; taking out keeps the others' order.
    first = details.responsible_queue[0]
    again = await definitions.set_queue_member(CLI, "leads", first, True)
    assert again.responsible_queue == details.responsible_queue
    await asyncio.gather(
        *(
            definitions.set_queue_member(CLI, "leads", m, False)
            for m in details.responsible_queue[:3]
        )
    )
    left = (await definitions.get_form(CLI, "leads")).responsible_queue
    assert left == details.responsible_queue[3:]
    with pytest.raises(ValidationError):
        await definitions.set_queue_member(CLI, "leads", 999_999, True)
    with pytest.raises(NotFoundError):
        await definitions.set_queue_member(CLI, "nope", first, True)
    assert await HistoryEntry.filter(entity="web_form", field="responsible_queue").count() == 9


async def test_a_disabled_form_is_neither_served_nor_accepting_posts(db):
    await make_form()
    await definitions.disable_form(CLI, "leads")
    with pytest.raises(NotFoundError):
        await definitions.get_public_form("leads")
    with pytest.raises(NotFoundError):
        await submit(jean(), "leads")
    assert [f.is_active for f in await definitions.list_forms(CLI)] == [True, False]
    await definitions.edit_form(CLI, "leads", {"is_active": True})
    assert (await definitions.get_public_form("leads")).is_active


async def test_the_api_key_is_stored_hashed_and_checked(db):
    key = "s3cret-key-of-a-server-0123456789"
    await make_form(api_key=key)
    stored = await WebForm.get(slug="leads")
    assert stored.api_key_hash and key not in stored.api_key_hash
    assert await definitions.verify_api_key("leads", key)
    assert not await definitions.verify_api_key("leads", key + "x")
    assert not await definitions.verify_api_key("leads", None)
    assert not await definitions.verify_api_key("contact", key)  # a form without a key
    assert not await definitions.verify_api_key("nope", key)
    await definitions.edit_form(CLI, "leads", {"api_key": None})
    assert not await definitions.verify_api_key("leads", key)


async def test_unknown_forms_are_not_found(db):
    for slug in ("nope", "../etc", "", "x" * 300):
        with pytest.raises(NotFoundError):
            await definitions.get_public_form(slug)
        with pytest.raises(NotFoundError):
            await submit(jean(), slug)
    assert await FormSubmission.all().count() == 0


# --- a submission becomes a contact ----------------------------------------------------------


async def test_a_submission_creates_a_contact_with_history_and_source(db, make_staff):
    await make_staff("Admin", admin=True)
    result = await submit(
        jean(),
        address_hash="h1",
        user_agent="UA",
        referrer="https://site.example/",
        page_url="https://site.example/?utm_source=google&utm_campaign=spring",
    )
    assert result.status == "created" and result.duplicate is False and result.errors == {}
    card = await contacts.get_contact(CLI, result.contact_id)
    contact = card.contact
    assert (contact.first_name, contact.last_name) == ("Jean", "Dupont")
    assert contact.comment == "Call me back please"
    assert (contact.utm_source, contact.utm_campaign) == ("google", "spring")
    assert card.source_name == "Web form"
    assert contact.web_form_id == (await WebForm.get(slug="contact")).id
    assert [(c.kind.value, c.normalized) for c in card.channels] == [
        ("email", "jean@example.fr"),
        ("phone", "+33612345678"),
    ]
    labels = await HistoryEntry.filter(entity="contact", entity_id=contact.id).values_list(
        "actor_label", "kind", "field"
    )
    assert ("web form contact", HistoryKind.CREATED, None) in labels
    assert ("web form contact", HistoryKind.CHANGED, "web_form") in labels
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.status == SubmissionStatus.CREATED and stored.contact_id == contact.id
    assert stored.payload == jean()
    assert (stored.address_hash, stored.user_agent, stored.referrer) == (
        "h1",
        "UA",
        "https://site.example/",
    )
    assert stored.utm == {"utm_source": "google", "utm_campaign": "spring"}
    assert stored.consent_text == (await definitions.get_public_form("contact")).consent_text


async def all_types_form() -> None:
    """A form using every field type and every target."""
    await customfields.create_field(CLI, {"code": "budget", "label": "Budget", "type": "decimal"})
    await customfields.create_field(
        CLI, {"code": "size", "label": "Size", "type": "list", "options": ["S", "M", "L"]}
    )
    await customfields.create_field(CLI, {"code": "news", "label": "News", "type": "boolean"})
    fields = [
        {
            "name": "civ",
            "type": "select",
            "label": "Title",
            "maps_to": "honorific",
            "options": ["M.", "Mme"],
        },
        {
            "name": "first",
            "type": "text",
            "label": {"en": "First", "fr": "Prénom"},
            "required": True,
            "maps_to": "first_name",
            "placeholder": {"en": "Jean"},
        },
        {"name": "last", "type": "text", "label": "Last", "maps_to": "last_name"},
        {"name": "tel", "type": "text", "label": "Phone", "maps_to": "phone"},
        {"name": "mail", "type": "email", "label": "E-mail", "maps_to": "email"},
        {"name": "site", "type": "url", "label": "Site", "maps_to": "website"},
        {"name": "tg", "type": "text", "label": "Telegram", "maps_to": "telegram"},
        {"name": "org", "type": "text", "label": "Company", "maps_to": "company"},
        {"name": "job", "type": "text", "label": "Position", "maps_to": "position"},
        {"name": "born", "type": "date", "label": "Birthdate", "maps_to": "birthdate"},
        {"name": "note", "type": "textarea", "label": "Message", "maps_to": "message"},
        {"name": "budget", "type": "number", "label": "Budget", "maps_to": "custom.budget"},
        {
            "name": "size",
            "type": "select",
            "label": "Size",
            "maps_to": "custom.size",
            "options": ["S", "M", "L"],
        },
        {"name": "news", "type": "checkbox", "label": "Newsletter", "maps_to": "custom.news"},
        {
            "name": "how",
            "type": "select",
            "label": {"en": "Found us via", "fr": "Connu par"},
            "options": ["Search", "Friend"],
        },
        {"name": "visit", "type": "date", "label": "Visit on"},
    ]
    await make_form("all", fields=fields, consent_required=False)


async def test_every_field_type_feeds_its_target(db):
    await all_types_form()
    result = await submit(
        {
            "civ": "mme",
            "first": "Anne",
            "last": "Martin",
            "tel": "+33 1 42 68 53 00",
            "mail": "Anne@Example.FR",
            "site": "anne.example.fr",
            "tg": "@anne_m",
            "org": "Acme",
            "job": "CEO",
            "born": "25/04/1990",
            "note": "Line one\nLine two",
            "budget": "1 500,50",
            "size": "m",
            "news": "on",
            "how": "Friend",
            "visit": "2030-01-02",
            "unknown": "kept raw",
        },
        "all",
    )
    assert result.status == "created", result.errors
    card = await contacts.get_contact(CLI, result.contact_id)
    contact = card.contact
    assert (contact.honorific, contact.first_name, contact.last_name) == ("Mme", "Anne", "Martin")
    assert (contact.position, str(contact.birthdate)) == ("CEO", "1990-04-25")
    assert contact.comment == "Line one\nLine two\nFound us via: Friend\nVisit on: 2030-01-02"
    assert sorted((c.kind.value, c.value_type, c.normalized) for c in card.channels) == [
        ("email", "WORK", "anne@example.fr"),
        ("messenger", "TELEGRAM", "anne_m"),
        ("phone", "WORK", "+33142685300"),
        ("web", "WORK", "https://anne.example.fr"),
    ]
    assert [c.title for c in card.companies] == ["Acme"]
    assert {k: [str(v) for v in vs] for k, vs in card.custom.items()} == {
        "budget": ["1500.500000"],
        "size": ["M"],
        "news": ["True"],
    }
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.payload["unknown"] == "kept raw"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"first": ""}, {"first": "is required"}),
        ({"tel": "12"}, {"tel": "is not a valid phone number"}),
        ({"mail": "not-an-email"}, {"mail": None}),
        ({"site": "javascript:alert(1)"}, {"site": None}),
        ({"born": "yesterday"}, {"born": None}),
        ({"born": "1850-01-01"}, {"born": "must be between 1900 and today"}),
        ({"budget": "a lot"}, {"budget": None}),
        ({"size": "XXL"}, {"size": "must be one of the options"}),
        ({"news": "maybe"}, {"news": "must be yes or no"}),
        ({"tg": "x"}, {"tg": None}),
        ({"first": ["Anne", "Marie"]}, {"first": "must be one value"}),
        ({"first": {"nested": 1}}, {"first": "must be text"}),
        ({"first": "x" * 300}, {"first": "is longer than 255 characters"}),
        ({"first": "x" * 150}, {"first": "is longer than 100 characters"}),
    ],
)
async def test_a_bad_value_rejects_the_submission_with_the_field_named(db, changes, errors):
    await all_types_form()
    payload = {"first": "Anne", "last": "Martin", **changes}
    result = await submit(payload, "all")
    assert result.status == "rejected" and result.contact_id is None
    assert set(result.errors) == set(errors)
    for name, message in errors.items():
        if message:
            assert result.errors[name] == message
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.status == SubmissionStatus.REJECTED
    assert stored.reason and next(iter(errors)) in stored.reason
    assert stored.payload == payload
    assert await Contact.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_required_fields_and_consent_are_checked_together(db):
    result = await submit({"phone": "0612345678"})
    assert result.status == "rejected"
    assert result.errors == {"name": "is required", "consent": "must be accepted"}
    refused = await submit(jean(consent="no"))
    assert refused.errors == {"consent": "must be accepted"}
    assert await Contact.all().count() == 0


async def test_a_form_without_required_consent_accepts_no_checkbox(db):
    await make_form(consent_required=False, consent_text=None)
    result = await submit({"name": "Jean Dupont"}, "leads")
    assert result.status == "created"


async def test_html_in_fields_is_stored_as_typed(db, make_staff):
    await make_staff("Admin", admin=True)
    evil = "<script>alert('x')</script>"
    result = await submit(jean(name=f"<b>Jean</b> {evil}", message=f"{evil} & <i>hi</i>"))
    contact = await Contact.get(id=result.contact_id)
    assert (contact.first_name, contact.last_name) == ("<b>Jean</b>", evil)
    assert contact.comment == f"{evil} & <i>hi</i>"
    alert = await OutboxMessage.get()
    assert evil in alert.text  # plain text: the sender escapes it for Telegram
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.payload["message"] == f"{evil} & <i>hi</i>"


async def test_odd_payloads_are_stored_safely(db):
    payload = {"name": "Jean\x00 Dupont", "message": "\ud800 lone", 7: [1.5, None, True], **CONSENT}
    result = await submit(payload)
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.payload["name"] == "Jean\ufffd Dupont"
    assert stored.payload["7"] == [1.5, None, True]


# --- schemes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "model", "link"), [("deal", Deal, ContactDeal), ("quote", Quote, ContactQuote)]
)
async def test_a_deal_or_quote_form_creates_the_record_linked_to_the_contact(
    db, make_staff, scheme, model, link
):
    ann = await make_staff("Ann")
    await make_form("offer", title="Offer", scheme=scheme, responsible_queue=[ann.id])
    result = await submit(jean(), "offer")
    record = await model.get()
    assert record.title == "Offer: Jean Dupont"
    assert record.responsible_id == ann.id
    assert await link.exists(contact_id=result.contact_id, **{f"{scheme}_id": record.id})
    again = await submit(jean(message="Another request"), "offer")
    assert again.contact_id == result.contact_id and again.duplicate
    assert await model.all().count() == 2  # each request is a new deal of the same contact
    alert = await OutboxMessage.filter(staff_id=ann.id).order_by("id").first()
    assert alert and "Offer: Jean Dupont" in alert.text


async def test_a_lead_with_a_company_is_created_with_it_in_one_write(db):
    fields = [
        {"name": "name", "type": "text", "label": "Name", "required": True, "maps_to": "name"},
        {"name": "org", "type": "text", "label": "Company", "maps_to": "company"},
    ]
    await make_form(fields=fields, consent_required=False, consent_text=None)
    result = await submit({"name": "Anne Martin", "org": "Acme"}, "leads")
    card = await contacts.get_contact(CLI, result.contact_id)
    assert [(c.title, c.is_primary) for c in card.companies] == [("Acme", True)]
    assert card.version == 1  # created with its company: no link, no empty update after it
    again = await submit({"name": "Anne Martin", "org": "acme"}, "leads")
    assert again.contact_id != card.id  # a name alone is no proof: a twin, with the same company
    twin = await contacts.get_contact(CLI, again.contact_id)
    assert [c.company_id for c in twin.companies] == [c.company_id for c in card.companies]


async def test_a_contact_form_creates_no_deal(db):
    await submit(jean())
    assert await Deal.all().count() == 0 and await Quote.all().count() == 0


# --- duplicate policies ---------------------------------------------------------------------


async def existing_jean(**extra: Any) -> contacts.ContactCard:
    data = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "phones": ["+33612345678"],
        "position": "Buyer",
        **extra,
    }
    return await contacts.create_contact(CLI, data)


async def test_merge_fills_empty_fields_only_and_appends_the_message(db, make_staff):
    ann = await make_staff("Ann")
    card = await existing_jean(comment="Met at the fair", responsible_id=ann.id)
    result = await submit(
        jean(name="Jeannot Dupont", email="JEAN@EXAMPLE.FR", message="Send a quote"),
        page_url="https://x.example/?utm_source=ads",
        caller=CallerKind.API,  # anonymous posts: tests/crm/test_webform_proposals.py
    )
    assert (result.status, result.contact_id, result.duplicate) == ("merged", card.id, True)
    merged = await contacts.get_contact(CLI, card.id)
    contact = merged.contact
    assert contact.first_name == "Jean"  # not overwritten
    assert contact.position == "Buyer"
    assert contact.comment == "Met at the fair\n\nSend a quote"
    assert contact.utm_source == "ads"  # was empty: filled
    assert contact.responsible_id == ann.id  # a merged contact keeps its responsible
    assert sorted(c.normalized for c in merged.channels) == ["+33612345678", "jean@example.fr"]
    assert len(await live_contacts()) == 1
    stored = await FormSubmission.get(id=result.submission_id)
    assert (stored.status, stored.contact_id) == (SubmissionStatus.MERGED, card.id)


async def test_merge_matches_a_phone_typed_differently(db):
    card = await existing_jean()
    for typed in ("+33 6 12 34 56 78", "0033612345678", "06.12.34.56.78"):
        result = await submit({"name": "J. D.", "phone": typed, "message": typed, **CONSENT})
        assert result.contact_id == card.id and result.duplicate, typed
    assert len(await live_contacts()) == 1


async def test_merge_matches_an_e_mail_in_another_case(db):
    card = await contacts.create_contact(CLI, {"first_name": "Zoé", "emails": ["zoe@example.fr"]})
    result = await submit({"name": "Someone", "email": "ZOE@Example.Fr", **CONSENT})
    assert (result.contact_id, result.duplicate) == (card.id, True)
    assert len(await live_contacts()) == 1


@pytest.mark.parametrize("policy", ["merge", "replace"])
async def test_a_known_contact_gets_the_answers_not_the_custom_fields_defaults(db, policy):
    card = await existing_jean()
    await customfields.create_field(
        CLI, {"code": "tier", "label": "Tier", "type": "string", "default": "bronze"}
    )
    await make_form(dedup_policy=policy)
    result = await submit(jean(), "leads")
    assert (result.status, result.contact_id) == ("merged", card.id)
    assert (await contacts.get_contact(CLI, card.id)).custom.get("tier", []) == []
    new = await submit(jean(name="Paul Martin", phone="0611111111", email="p@x.fr"), "leads")
    assert (await contacts.get_contact(CLI, new.contact_id)).custom["tier"] == ["bronze"]


async def test_allow_creates_a_twin_and_says_it_looks_like_the_other(db, make_staff):
    await make_staff("Admin", admin=True)
    card = await existing_jean()
    await make_form(dedup_policy="allow")
    result = await submit(jean(), "leads")
    assert result.status == "created" and result.contact_id != card.id
    assert not result.duplicate
    assert len(await live_contacts()) == 2
    stored = await FormSubmission.get(id=result.submission_id)
    assert stored.reason == f"possible duplicate of #{card.id}"
    alert = await OutboxMessage.get()
    assert f"#{card.id}" in alert.text


async def test_replace_overwrites_with_the_submitted_values(db, make_staff):
    ann = await make_staff("Ann")
    card = await existing_jean(
        honorific="M.", comment="VIP", responsible_id=ann.id, phones=["+33612345678", "0142685300"]
    )
    await make_form(dedup_policy="replace")
    result = await submit(
        jean(
            name="Jean-Pierre Durand", phone="06 12 34 56 78", email="jp@example.fr", message="New"
        ),
        "leads",
        caller=CallerKind.API,  # replace is for the form's API key only
    )
    assert (result.status, result.contact_id, result.duplicate) == ("merged", card.id, True)
    replaced = await contacts.get_contact(CLI, card.id)
    contact = replaced.contact
    assert (contact.first_name, contact.last_name) == ("Jean-Pierre", "Durand")
    assert contact.honorific == "M." and contact.position == "Buyer"  # not submitted: kept
    assert contact.comment == "VIP\n\nNew"
    assert contact.responsible_id == ann.id
    phones = [c.normalized for c in replaced.channels if c.kind.value == "phone"]
    assert phones == ["+33612345678", "+33142685300"]
    changed = await HistoryEntry.filter(
        entity="contact", entity_id=card.id, kind=HistoryKind.CHANGED
    ).values_list("field", flat=True)
    assert {"first_name", "last_name", "emails", "comment", "web_form"} <= set(changed)


async def test_replace_puts_the_submitted_phone_first(db):
    card = await existing_jean(phones=["0142685300"], emails=["jean@example.fr"])
    await make_form(dedup_policy="replace")
    await submit(
        jean(phone="+33 6 98 76 54 32", email="jean@example.fr"), "leads", caller=CallerKind.API
    )
    await submit(
        {"name": "Jean Dupont", "email": "jean@example.fr", "phone": "0612345678", **CONSENT},
        "leads",
        caller=CallerKind.API,
    )
    phones = (
        await Channel.filter(contact_id=card.id, kind="phone")
        .order_by("sort")
        .values_list("normalized", "is_primary")
    )
    assert phones == [("+33612345678", True), ("+33698765432", False), ("+33142685300", False)]
    assert len(await live_contacts()) == 1


async def test_a_name_match_never_merges_a_lead(db):
    card = await contacts.create_contact(CLI, {"first_name": "Paul", "last_name": "Martin"})
    same = await submit({"name": "Paul Martin", "message": "hello", **CONSENT})
    assert same.contact_id != card.id and same.status == "created"  # a twin (see proposals)
    first_only = await submit({"name": "Paul", **CONSENT})
    assert first_only.contact_id != card.id and first_only.status == "created"


# --- retries, repeats and concurrency -------------------------------------------------------


async def test_a_repeated_idempotency_key_returns_the_first_result(db, make_staff):
    await make_staff("Admin", admin=True)
    first = await submit(jean(), idempotency_key="key-1")
    again = await submit(jean(), idempotency_key="key-1")
    assert again == first
    with pytest.raises(IdempotencyKeyReusedError):  # the same key with another body
        await submit(jean(message="changed"), idempotency_key="key-1")
    assert await FormSubmission.all().count() == 1
    assert await OutboxMessage.all().count() == 1
    other = await submit(jean(), idempotency_key="key-2")
    assert other.submission_id != first.submission_id
    assert other.contact_id == first.contact_id


async def test_a_very_long_idempotency_key_is_kept_apart_from_its_prefix(db):
    first = await submit(jean(), idempotency_key="k" * 200)
    second = await submit(jean(), idempotency_key="k" * 200 + "2")
    assert first.submission_id != second.submission_id
    assert (await submit(jean(), idempotency_key="k" * 200)).submission_id == first.submission_id


async def test_a_rejected_submission_frees_its_key_for_the_corrected_post(db):
    bad = await submit(jean(phone="12"), idempotency_key="k")
    assert bad.status == "rejected"
    good = await submit(jean(), idempotency_key="k")
    assert good.status == "created" and good.submission_id != bad.submission_id
    assert (await submit(jean(), idempotency_key="k")) == good


async def test_concurrent_posts_with_one_key_store_one_submission(db):
    results = await asyncio.gather(*(submit(jean(), idempotency_key="same") for _ in range(8)))
    assert len({r.submission_id for r in results}) == 1
    assert {r.contact_id for r in results} == {results[0].contact_id}
    assert await FormSubmission.all().count() == 1


async def test_posts_stored_together_share_a_commit_and_keep_their_own_errors(db, monkeypatch):
    """Posts arriving together are written in one transaction; a key another post holds
    fails that post alone, and every other post of its group is stored."""
    first = await store_post("contact", jean(), SubmissionMeta(idempotency_key="taken"))
    commits = []
    real = submissions.in_transaction

    def counting(*args: Any, **kwargs: Any) -> Any:
        commits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "in_transaction", counting)
    others = [jean(email=f"v{n}@example.fr", phone=f"+3361234{n:04d}") for n in range(30)]
    receipts = await asyncio.gather(
        *(store_post("contact", body, SubmissionMeta()) for body in others),
        store_post("contact", jean(phone="+33699999999"), SubmissionMeta(idempotency_key="taken")),
        return_exceptions=True,
    )
    stored, retried = receipts[:-1], receipts[-1]
    assert all(r.status == "received" for r in stored)
    assert len({r.submission_id for r in stored}) == 30
    # The reused key with another body is refused; the thirty others are on disk.
    assert isinstance(retried, IdempotencyKeyReusedError)
    assert await FormSubmission.filter(status="received").count() == 31
    assert len(commits) < 31  # grouped
    assert first.status == "received"


async def test_the_same_visitor_twice_never_makes_two_contacts(db):
    first = await submit(jean())
    second = await submit(jean(message="Did you get my message?"))
    assert second.contact_id == first.contact_id and second.duplicate
    contact = await Contact.get(id=first.contact_id)
    assert contact.comment == "Call me back please"  # an anonymous message is only proposed
    proposal = (await FormSubmission.get(id=second.submission_id)).proposal
    assert proposal is not None and proposal["message"] == "Did you get my message?"
    third = await submit(jean())  # the same words again add nothing
    assert third.contact_id == first.contact_id
    assert (await Contact.get(id=first.contact_id)).comment == contact.comment
    assert len(await live_contacts()) == 1


async def test_an_identical_post_from_the_same_address_is_a_repeat_even_with_allow(db, make_staff):
    await make_staff("Admin", admin=True)
    await make_form(dedup_policy="allow", scheme="deal")
    first = await submit(jean(), "leads", address_hash="a1")
    again = await submit(jean(), "leads", address_hash="a1")
    assert (again.status, again.contact_id, again.duplicate) == ("merged", first.contact_id, True)
    stored = await FormSubmission.get(id=again.submission_id)
    assert stored.reason == f"repeat of submission #{first.submission_id}"
    assert await Deal.all().count() == 1 and await OutboxMessage.all().count() == 1
    elsewhere = await submit(jean(), "leads", address_hash="a2")
    assert elsewhere.contact_id != first.contact_id  # allow: another visitor, another contact


async def test_twenty_concurrent_submissions_of_one_person_make_one_contact(db, make_staff):
    await make_staff("Admin", admin=True)
    payloads = [
        jean(phone=phone, email=email, message=f"try {i}")
        for i, (phone, email) in enumerate(
            [("06 12 34 56 78", "jean@example.fr"), ("+33612345678", "JEAN@example.fr")] * 10
        )
    ]
    results = await asyncio.gather(*(submit(p) for p in payloads))
    assert len({r.contact_id for r in results}) == 1
    assert sorted(r.status for r in results) == ["created"] + ["merged"] * 19
    assert len(await live_contacts()) == 1
    assert await FormSubmission.all().count() == 20
    assert await FormSubmission.filter(status=SubmissionStatus.FAILED).count() == 0
    assert await OutboxMessage.all().count() == 20


async def test_concurrent_submissions_of_different_people_each_make_a_contact(db, make_staff):
    await make_staff("Admin", admin=True)
    results = await asyncio.gather(
        *(
            submit(jean(name=f"Person{i} Test", phone=f"06123456{i:02d}", email=f"p{i}@x.fr"))
            for i in range(15)
        )
    )
    assert all(r.status == "created" for r in results)
    assert len(await live_contacts()) == 15


# --- the responsible queue ------------------------------------------------------------------


async def responsibles(count: int, slug: str = "leads") -> list[int | None]:
    ids = []
    for i in range(count):
        result = await submit(
            jean(name=f"Lead{i} Test", phone=f"061234{i:04d}", email=f"l{i}@x.fr"), slug
        )
        ids.append((await Contact.get(id=result.contact_id)).responsible_id)
    return ids


async def test_new_leads_go_round_the_queue_skipping_inactive_staff(db, make_staff):
    ann, bob, gone, cid = (
        await make_staff("Ann"),
        await make_staff("Bob"),
        await make_staff("Gone", active=False),
        await make_staff("Cid"),
    )
    await make_form(responsible_queue=[ann.id, gone.id, bob.id, cid.id])
    assert await responsibles(6) == [ann.id, bob.id, cid.id] * 2


async def test_an_empty_queue_sends_leads_to_the_active_admins_in_turn(db, make_staff):
    first = await make_staff("Admin 1", admin=True)
    await make_staff("Former admin", admin=True, active=False)
    await make_staff("Clerk")
    second = await make_staff("Admin 2", admin=True)
    await make_form()
    assert await responsibles(4) == [first.id, second.id, first.id, second.id]


async def test_a_queue_of_inactive_staff_falls_back_to_the_admins(db, make_staff):
    admin = await make_staff("Admin", admin=True)
    gone = await make_staff("Gone", active=False)
    await make_form(responsible_queue=[gone.id])
    assert await responsibles(2) == [admin.id, admin.id]


async def test_concurrent_leads_share_the_queue_evenly(db, make_staff):
    ann, bob = await make_staff("Ann"), await make_staff("Bob")
    await make_form(responsible_queue=[ann.id, bob.id])
    results = await asyncio.gather(
        *(
            submit(jean(name=f"P{i} Q", phone=f"061234{i:04d}", email=f"q{i}@x.fr"), "leads")
            for i in range(10)
        )
    )
    owners = [(await Contact.get(id=r.contact_id)).responsible_id for r in results]
    assert sorted(owners) == sorted([ann.id] * 5 + [bob.id] * 5)
    assert (await WebForm.get(slug="leads")).queue_cursor == 10


async def test_a_merged_contact_without_an_active_responsible_alerts_the_queue(db, make_staff):
    gone = await make_staff("Gone")
    ann = await make_staff("Ann")
    card = await existing_jean(responsible_id=gone.id)
    await Contact.filter(id=card.id).update(taken_at=utcnow())  # "Gone" took it once
    await Staff.filter(id=gone.id).update(is_active=False)
    await make_form(responsible_queue=[ann.id])
    await submit(jean(), "leads")
    assert (await Contact.get(id=card.id)).responsible_id == gone.id
    assert await OutboxMessage.filter(staff_id=ann.id).count() == 1
    taken = await leads.take_lead(await actor_of(ann), card.id)  # Ann can take the new lead
    assert taken.taken_now and (await Contact.get(id=card.id)).responsible_id == ann.id


async def test_a_merged_lead_goes_to_an_admin_when_the_queue_may_not_read_the_contact(
    db, make_staff
):
    gone = await make_staff("Gone")
    clerk = await make_staff("Clerk", level=Level.OWN)
    admin = await make_staff("Admin", admin=True)
    card = await existing_jean(responsible_id=gone.id)
    await Staff.filter(id=gone.id).update(is_active=False)
    await make_form(responsible_queue=[clerk.id])
    result = await submit(jean(), "leads")
    assert (result.status, result.contact_id) == ("merged", card.id)
    # The clerk may not read Jean: not a word of him (name, id, details) reaches them.
    assert await OutboxMessage.filter(staff_id=clerk.id).count() == 0
    alert = await OutboxMessage.get(staff_id=admin.id)
    assert f"#{card.id} Jean Dupont" in alert.text
    assert alert.payload["contact_id"] == card.id


async def test_a_merged_lead_nobody_may_read_is_alerted_to_nobody(db, make_staff):
    gone = await make_staff("Gone")
    clerk = await make_staff("Clerk", level=Level.OWN)
    card = await existing_jean(responsible_id=gone.id)
    await Staff.filter(id=gone.id).update(is_active=False)
    await make_form(responsible_queue=[clerk.id])
    result = await submit(jean(), "leads", caller=CallerKind.API)
    assert (result.status, result.contact_id) == ("merged", card.id)
    assert (await Contact.get(id=card.id)).comment == "Call me back please"
    assert await OutboxMessage.all().count() == 0


async def test_a_twin_alert_names_the_look_alike_only_to_a_recipient_who_may_read_it(
    db, make_staff
):
    owner = await make_staff("Owner")
    clerk = await make_staff("Clerk", level=Level.OWN)
    card = await existing_jean(responsible_id=owner.id)
    await make_form(dedup_policy="allow", responsible_queue=[clerk.id])
    result = await submit(jean(), "leads")
    assert (await Contact.get(id=result.contact_id)).responsible_id == clerk.id
    alert = await OutboxMessage.get(staff_id=clerk.id)
    assert f"#{card.id}" not in alert.text
    assert alert.text.splitlines()[0] == "New lead from the form “Leads”"


async def test_a_lead_alert_names_the_deal_only_to_a_recipient_who_may_read_it(db, make_staff):
    owner = await make_staff("Owner")
    await Staff.filter(id=owner.id).update(is_unreachable=True)
    clerk = await make_staff("Clerk", level=Level.OPEN)  # reads opened contacts and deals
    card = await existing_jean(responsible_id=owner.id, opened=True)
    await make_form(scheme="deal", responsible_queue=[clerk.id])
    await submit(jean(), "leads")
    deal = await Deal.get()
    assert (deal.responsible_id, deal.opened) == (owner.id, False)  # the clerk may not read it
    alert = await OutboxMessage.get(staff_id=clerk.id)
    assert f"#{card.id} Jean Dupont" in alert.text
    assert deal.title not in alert.text and "Deal:" not in alert.text


# --- spam, failures and alerts --------------------------------------------------------------


async def test_spam_is_stored_with_its_reason_and_never_alerted(db, make_staff):
    await make_staff("Admin", admin=True)
    result = await submit(jean(), spam_reason="trap field filled", address_hash="bot")
    assert (result.status, result.contact_id) == ("spam", None)
    stored = await FormSubmission.get(id=result.submission_id)
    assert (stored.status, stored.reason) == (SubmissionStatus.SPAM, "trap field filled")
    assert stored.payload == jean()
    assert await Contact.all().count() == 0 and await OutboxMessage.all().count() == 0


async def test_an_unexpected_failure_leaves_the_raw_submission_as_failed(db, make_staff):
    await make_staff("Admin", admin=True)
    with notifier.using(RecordingNotifier().fail_permanently("the outbox is on fire")) as sent:
        with pytest.raises(RuntimeError):
            await submit(jean(), idempotency_key="k1")
        stored = await FormSubmission.get()
        assert stored.status == SubmissionStatus.FAILED
        assert stored.reason == "RuntimeError: the outbox is on fire"
        assert stored.payload == jean()
        assert await Contact.all().count() == 0  # the transaction left nothing half-written
        assert await HistoryEntry.filter(entity="contact").count() == 0
        sent.recover()
        retried = await submit(jean(), idempotency_key="k1")  # a retry with the key works now
    assert retried.status == "created"
    assert [m.kind for m in sent.messages] == ["lead"]


async def test_the_alert_is_queued_for_the_responsible_with_buttons_and_keys(db, make_staff):
    ann = await make_staff("Ann")
    await make_form(responsible_queue=[ann.id], title="Website")
    result = await submit(
        jean(), "leads", page_url="https://site.example/landing?utm_source=google&utm_medium=cpc"
    )
    alert = await OutboxMessage.get()
    assert (alert.staff_id, alert.kind) == (ann.id, "lead")
    assert alert.group_key == f"lead:{ann.id}"
    assert alert.dedupe_key == f"lead:{result.submission_id}"
    assert alert.text.splitlines() == [
        "New lead from the form “Website”",
        "Name: Jean Dupont",
        "Phone: 06 12 34 56 78",
        "E-mail: jean@example.fr",
        "Message: Call me back please",
        "UTM: source=google, medium=cpc",
    ]
    assert alert.payload["buttons"] == [
        [
            {"text": "Open", "action": "open", "contact_id": result.contact_id},
            {"text": "Take it", "action": "take", "contact_id": result.contact_id},
        ]
    ]


async def test_the_alert_is_in_the_recipients_language(db, make_staff):
    marie = await make_staff("Marie")
    await Staff.filter(id=marie.id).update(language="fr")
    card = await existing_jean(responsible_id=marie.id)
    await submit(jean())
    alert = await OutboxMessage.get()
    assert alert.text.splitlines()[0] == (
        f"Doublon via le formulaire « Contact us » : fusionné dans #{card.id} Jean Dupont"
    )
    assert "Téléphone : 06 12 34 56 78" in alert.text
    assert [b["text"] for b in alert.payload["buttons"][0]] == ["Ouvrir", "Je le prends"]


async def test_many_leads_for_one_person_share_a_group_key(db, make_staff):
    ann = await make_staff("Ann")
    await make_form(responsible_queue=[ann.id])
    await responsibles(3)
    keys = await OutboxMessage.all().values_list("group_key", "dedupe_key")
    assert {g for g, _ in keys} == {f"lead:{ann.id}"}
    assert len({d for _, d in keys}) == 3


async def test_nobody_to_alert_still_creates_the_contact(db):
    result = await submit(jean())
    assert result.status == "created"
    assert (await Contact.get(id=result.contact_id)).responsible_id is None
    assert await OutboxMessage.all().count() == 0


# --- stranded submissions (stored, then the process stopped) ---------------------------------


async def stranded(payload: dict[str, Any], minutes: float = 5, **meta: Any) -> FormSubmission:
    """A submission stored by a process that stopped before processing it."""
    form = await WebForm.get(slug="contact")
    submission = await FormSubmission.create(form=form, payload=payload, **meta)
    await FormSubmission.filter(id=submission.id).update(
        received_at=submission.received_at - timedelta(minutes=minutes)
    )
    return await FormSubmission.get(id=submission.id).select_related("form")


async def test_the_sweep_processes_a_stranded_submission_once(db, make_staff):
    await make_staff("Admin", admin=True)
    submission = await stranded(jean(), address_hash="a1")
    assert await submissions.resume_stranded() == 1
    stored = await FormSubmission.get(id=submission.id)
    assert stored.status == SubmissionStatus.CREATED and stored.contact_id is not None
    assert [c.id for c in await live_contacts()] == [stored.contact_id]
    assert await OutboxMessage.all().count() == 1
    assert await submissions.resume_stranded() == 0  # nothing left


async def test_the_sweep_leaves_a_submission_being_processed_now_alone(db):
    submission = await stranded(jean(), minutes=0)
    assert await submissions.resume_stranded() == 0
    assert (await FormSubmission.get(id=submission.id)).status == SubmissionStatus.RECEIVED


async def test_a_stranded_submission_with_bad_answers_is_rejected_by_the_sweep(db):
    submission = await stranded(jean(email="not an address"))
    assert await submissions.resume_stranded() == 1
    stored = await FormSubmission.get(id=submission.id)
    assert stored.status == SubmissionStatus.REJECTED and "email" in (stored.reason or "")
    assert await Contact.all().count() == 0


async def test_two_sweeps_and_the_request_at_once_process_a_submission_once(db, make_staff):
    """Two processes sweeping, and the request itself still going: one contact, one alert,
    one history entry; the losers answer with the winner's outcome."""
    await make_staff("Admin", admin=True)
    submission = await stranded(jean(), address_hash="a2")
    request = worker.process_one(submission)
    results = await asyncio.gather(
        request, submissions.resume_stranded(), submissions.resume_stranded()
    )
    contact_id = results[0].contact_id
    assert contact_id is not None and results[0].status == "created"
    assert [c.id for c in await live_contacts()] == [contact_id]
    assert await OutboxMessage.all().count() == 1
    assert (
        await HistoryEntry.filter(entity="contact", entity_id=contact_id, field="web_form").count()
        == 1
    )
    assert (await FormSubmission.get(id=submission.id)).status == SubmissionStatus.CREATED


async def test_the_sweep_goes_on_past_a_failing_submission(db, make_staff):
    await make_staff("Admin", admin=True)
    first = await stranded(jean(), address_hash="a3")
    second = await stranded(jean(name="Paul Martin", phone="0611111111", email="p@example.fr"))
    fake = RecordingNotifier().fail_permanently(only=lambda m: m.dedupe_key == f"lead:{first.id}")
    with notifier.using(fake):
        assert await submissions.resume_stranded() == 1
    statuses = dict(await FormSubmission.all().values_list("id", "status"))
    assert statuses == {first.id: SubmissionStatus.FAILED, second.id: SubmissionStatus.CREATED}


async def test_a_database_error_in_the_sweep_leaves_the_lead_for_the_next_one(db, make_staff):
    await make_staff("Admin", admin=True)
    submission = await stranded(jean(), address_hash="a4")
    with notifier.using(RecordingNotifier().fail_transiently("connection lost")) as sent:
        assert await submissions.resume_stranded() == 0
        assert (await FormSubmission.get(id=submission.id)).status == SubmissionStatus.RECEIVED
        assert await Contact.all().count() == 0
        sent.recover()
        assert await submissions.resume_stranded() == 1
    assert (await FormSubmission.get(id=submission.id)).status == SubmissionStatus.CREATED


async def test_a_failure_never_overwrites_an_outcome_settled_elsewhere(db, make_staff):
    await make_staff("Admin", admin=True)
    result = await submit(jean())
    await worker.mark_failed(result.submission_id, RuntimeError("late"))
    stored = await FormSubmission.get(id=result.submission_id)
    assert (stored.status, stored.reason) == (SubmissionStatus.CREATED, None)


def test_a_form_in_a_language_translates_only_the_stock_texts_nobody_changed():
    from dataclasses import replace

    from crm.webforms.definitions import DEFAULT_TEXTS, PublicForm

    en, fr = DEFAULT_TEXTS["en"], DEFAULT_TEXTS["fr"]
    form = PublicForm(
        id=1, slug="contact", title=en["title"], fields=[], scheme="contact",
        consent_text=en["consent"], consent_required=True, success_text="Our own thanks",
        redirect_url=None, allowed_origins=[], has_api_key=False,
    )  # fmt: skip
    french = form.in_language("fr")
    assert (french.title, french.consent_text) == (fr["title"], fr["consent"])
    assert french.success_text == "Our own thanks"
    assert french.in_language("en") == form
    assert form.in_language("de") is form
    assert replace(form, consent_text=None).in_language("fr").consent_text is None


async def test_invisible_characters_a_visitor_types_are_dropped_before_matching(db, make_staff):
    """`Du\u200bpont` is the Dupont already known, and no override reaches the staff's alert."""
    await make_staff("Admin", admin=True)
    card = await existing_jean()
    result = await submit(
        jean(name="Jean Du\u200bpont", message="Call \u202eoc.live\x1b[31m now\x07"),
        caller=CallerKind.API,  # vouched for: the message lands in the comment
    )
    assert (result.status, result.contact_id) == ("merged", card.id)
    contact = await Contact.get(id=card.id)
    assert contact.last_name == "Dupont"
    assert "oc.live now" in (contact.comment or "") and "\u202e" not in (contact.comment or "")
    alert = await OutboxMessage.get()
    assert not any(ch in alert.text for ch in "\u202e\u200b\x1b\x07")


async def test_spam_and_held_posts_never_hold_their_idempotency_key(db, make_staff):
    """A stranger's spam cannot claim `order-1042`; a client retrying after a 429 gets in."""
    await make_staff("Admin", admin=True)
    spam = await store_post(
        "contact", jean(), SubmissionMeta(idempotency_key="order-1042", spam_reason="trap")
    )
    held = await store_post(
        "contact",
        jean(),
        SubmissionMeta(idempotency_key="order-1042", hold_reason="rate limit: address"),
    )
    stored = await FormSubmission.all().order_by("id")
    assert [(s.status, s.idempotency_key) for s in stored] == [("spam", None), ("held", None)]
    lead = await submit(jean(), idempotency_key="order-1042")
    assert lead.status == "created"
    assert lead.submission_id not in (spam.submission_id, held.submission_id)


async def test_an_idempotency_key_is_kept_apart_by_the_kind_of_caller(db, make_staff):
    """The same key from the page and from an API key holder: two posts, each replayed."""
    await make_staff("Admin", admin=True)
    page = await submit(jean(), idempotency_key="k", caller=CallerKind.PAGE)
    api = await submit(jean(message="x"), idempotency_key="k", caller=CallerKind.API)
    assert page.submission_id != api.submission_id
    replay = await store_post(
        "contact", jean(), SubmissionMeta(idempotency_key="k", caller=CallerKind.PAGE)
    )
    assert (replay.submission_id, replay.status, replay.replayed) == (
        page.submission_id,
        "received",
        True,
    )
    again = await store_post(
        "contact", jean(message="x"), SubmissionMeta(idempotency_key="k", caller=CallerKind.API)
    )
    assert (again.submission_id, again.status) == (api.submission_id, "merged")
