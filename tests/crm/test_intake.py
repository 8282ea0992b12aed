"""Taking in new contacts: drafts from every way in, create with the duplicate check and the
company, merge into a duplicate, the dialog's questions and answers, .vcf batches."""

import json

import pytest

from crm import catalog, companies, contacts, customfields, intake, layout
from crm.actors import system_actor
from crm.duplicates import DuplicateMatch
from crm.errors import (
    DuplicateContactError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from crm.rules.vcard import VCardEntry
from models import Channel, Company, Contact, ContactCompany, HistoryEntry
from models.enums import ChannelKind, HistoryKind, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _counts() -> tuple[int, int, int, int]:
    return (
        await Contact.all().count(),
        await Company.all().count(),
        await Channel.all().count(),
        await HistoryEntry.all().count(),
    )


async def _jean(**extra):
    data = {"first_name": "Jean", "last_name": "Dupont", "phones": ["+33612345678"], **extra}
    return await contacts.create_contact(CLI, data, allow_duplicate=True)


# --- create_from_draft ----------------------------------------------------------------------


async def test_a_one_line_contact_is_created_with_a_new_company_in_one_go(db, make_staff):
    marie = await make_staff("Marie")
    actor = await actor_of(marie)
    draft = intake.draft_from_text("M. Jean Dupont +33 6 12 34 56 78 jean@x.fr Acme Corp")
    json.dumps(draft)  # drafts wait in Redis between two messages
    card = await intake.create_from_draft(actor, draft)
    contact = card.contact
    assert (contact.honorific, contact.first_name, contact.last_name) == ("M.", "Jean", "Dupont")
    assert contact.responsible_id == marie.id
    assert [(c.kind.value, c.normalized, c.value_type) for c in card.channels] == [
        ("email", "jean@x.fr", "WORK"),
        ("phone", "+33612345678", "MOBILE"),
    ]
    company = await Company.get(title="Acme Corp")
    assert company.responsible_id == marie.id
    assert [(c.company_id, c.is_primary) for c in card.companies] == [(company.id, True)]
    kinds = await HistoryEntry.filter(entity_id__in=[contact.id, company.id]).values_list(
        "entity", "kind"
    )
    assert sorted((e, str(k.value)) for e, k in kinds) == [
        ("company", "created"),
        ("contact", "created"),
    ]


async def test_the_company_is_found_by_title_in_any_case_among_readable_ones(db):
    acme = await companies.create(CLI, "company", {"title": "ACME corp"})
    card = await intake.create_from_draft(CLI, {"first_name": "Jean", "company_title": "acme Corp"})
    assert [c.company_id for c in card.companies] == [acme.pk]
    assert await Company.all().count() == 1


async def test_an_exact_title_wins_over_the_same_words_with_accents(db):
    await companies.create(CLI, "company", {"title": "Societe Generale"})
    accented = await companies.create(CLI, "company", {"title": "Société Générale"})
    card = await intake.create_from_draft(
        CLI, {"first_name": "Jean", "company_title": "société générale"}
    )
    assert [c.company_id for c in card.companies] == [accented.pk]


async def test_a_company_the_actor_may_not_read_is_not_linked_a_new_one_is_made(db, make_staff):
    boss = await make_staff("Boss")
    me = await make_staff("Me", level=Level.OWN)
    hidden = await companies.create(await actor_of(boss), "company", {"title": "Acme"})
    card = await intake.create_from_draft(
        await actor_of(me), {"first_name": "Jean", "company_title": "Acme"}
    )
    assert len(card.companies) == 1 and card.companies[0].company_id != hidden.pk
    assert await Company.filter(title="Acme").count() == 2


async def test_a_phone_typed_06_matches_a_stored_plus_33_and_nothing_is_written(db):
    jean = await _jean()
    before = await _counts()
    with pytest.raises(DuplicateContactError) as caught:
        await intake.create_from_draft(
            CLI, {"first_name": "J", "phones": ["06 12 34 56 78"], "company_title": "New Co"}
        )
    assert [(m.contact_id, m.reason, m.value) for m in caught.value.matches] == [
        (jean.id, "phone", "+33612345678")
    ]
    assert await _counts() == before  # not even the company


async def test_create_anyway_makes_the_twin_with_its_company(db):
    await _jean()
    card = await intake.create_from_draft(
        CLI,
        {"first_name": "Jean", "last_name": "Dupont", "company_title": "Acme"},
        allow_duplicate=True,
    )
    assert await Contact.all().count() == 2 and len(card.companies) == 1


async def test_an_invalid_draft_writes_nothing_not_even_its_company(db):
    before = await _counts()
    with pytest.raises(ValidationError) as caught:
        await intake.create_from_draft(
            CLI, {"position": "CEO", "emails": ["not an address"], "company_title": "Acme"}
        )
    assert set(caught.value.errors) == {"emails"}
    with pytest.raises(ValidationError) as caught:
        await intake.create_from_draft(CLI, {"position": "CEO", "company_title": "Acme"})
    assert caught.value.errors == {"first_name": contacts.NAME_REQUIRED}
    with pytest.raises(ValidationError) as caught:
        await intake.create_from_draft(CLI, {"first_name": "Jean", "company_title": "x" * 300})
    assert set(caught.value.errors) == {"companies"}
    assert await _counts() == before


async def test_staff_without_the_add_right_are_refused_before_anything(db, make_staff):
    reader = await make_staff("Reader", levels={"read": Level.ALL}, level=Level.NONE)
    actor = await actor_of(reader)
    before = await _counts()
    with pytest.raises(PermissionDeniedError):
        await intake.create_from_draft(actor, {"first_name": "Jean", "company_title": "Acme"})
    with pytest.raises(PermissionDeniedError):
        await intake.dialog_questions(actor)
    with pytest.raises(PermissionDeniedError):
        intake.ensure_can_add(actor)
    with pytest.raises(PermissionDeniedError):
        await intake.create_drafts(actor, [VCardEntry(1, {"first_name": "Jean"})])
    assert await _counts() == before


# --- merge_draft ----------------------------------------------------------------------------


async def test_a_merge_fills_empty_fields_and_adds_what_is_missing_never_replaces(db):
    jean = await _jean(position="CEO", emails=["jean@x.fr"])
    draft = {
        "first_name": "Jean-Marie",
        "last_name": "Dupont",
        "position": "Intern",
        "birthdate": "1990-04-25",
        "phones": ["06 12 34 56 78", "01 40 00 00 00"],
        "emails": ["JEAN@x.fr", "jd@home.fr"],
        "messengers": [{"value": "@jdupont", "value_type": "TELEGRAM"}],
        "company_title": "Acme",
    }
    merged = await intake.merge_draft(CLI, jean.id, draft)
    contact = merged.card.contact
    assert (contact.first_name, contact.position, str(contact.birthdate)) == (
        "Jean",
        "CEO",
        "1990-04-25",
    )
    assert [(c.kind.value, c.normalized, c.is_primary) for c in merged.card.channels] == [
        ("email", "jean@x.fr", True),
        ("email", "jd@home.fr", False),
        ("messenger", "jdupont", True),
        ("phone", "+33612345678", True),
        ("phone", "+33140000000", False),
    ]
    assert [c.title for c in merged.card.companies] == ["Acme"]
    assert merged.added == ["birthdate", "phones", "emails", "messengers", "companies"]
    kinds = await HistoryEntry.filter(entity="contact", entity_id=jean.id).values_list(
        "kind", "field"
    )
    assert (HistoryKind.CHANGED, "birthdate") in kinds
    assert (HistoryKind.LINKED, "company") in kinds
    assert await Contact.all().count() == 1


async def test_a_merge_adds_custom_values_only_to_empty_custom_fields(db):
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    await customfields.create_field(CLI, {"code": "size", "label": "Size", "type": "integer"})
    jean = await _jean(custom={"vat": "FR123"})
    merged = await intake.merge_draft(CLI, jean.id, {"custom": {"vat": "FR999", "size": "42"}})
    assert merged.card.custom == {"vat": ["FR123"], "size": [42]}
    assert merged.added == ["custom.size"]


async def test_a_merge_with_nothing_new_changes_nothing(db):
    jean = await _jean()
    merged = await intake.merge_draft(
        CLI, jean.id, {"first_name": "Jean", "phones": ["0612345678"]}
    )
    assert merged.added == [] and merged.card.version == jean.version


async def test_a_merge_after_a_concurrent_edit_is_stale_and_writes_nothing(db):
    jean = await _jean()
    await contacts.update_contact(CLI, jean.id, {"position": "CTO"}, jean.version)
    with pytest.raises(StaleEditError):
        await intake.merge_draft(
            CLI,
            jean.id,
            {"position": "Intern", "company_title": "Acme"},
            expected_version=jean.version,
        )
    card = await contacts.get_contact(CLI, jean.id)
    assert card.contact.position == "CTO" and card.companies == []
    assert await Company.all().count() == 0


async def test_a_merge_needs_the_right_to_edit_the_contact(db, make_staff):
    other = await make_staff("Other")
    reader = await make_staff(
        "Reader", levels={"read": Level.ALL, "add": Level.ALL}, level=Level.NONE
    )
    jean = await contacts.create_contact(
        await actor_of(other), {"first_name": "Jean", "last_name": "Dupont"}
    )
    with pytest.raises(PermissionDeniedError):
        await intake.merge_draft(await actor_of(reader), jean.id, {"position": "CEO"})
    assert (await Contact.get(id=jean.id)).position is None


async def test_a_merge_with_nothing_new_is_refused_to_a_reader_too(db, make_staff):
    """Nothing would be written, but "merged" must not answer someone who may not edit."""
    other = await make_staff("Other")
    reader = await make_staff(
        "Reader", levels={"read": Level.ALL, "add": Level.ALL}, level=Level.NONE
    )
    jean = await contacts.create_contact(
        await actor_of(other), {"first_name": "Jean", "last_name": "Dupont"}
    )
    actor = await actor_of(reader)
    with pytest.raises(PermissionDeniedError):
        await intake.merge_draft(actor, jean.id, {"first_name": "Jean", "last_name": "Dupont"})
    clean = await contacts.clean_input({"first_name": "Jean"}, {}, creating=False)
    with pytest.raises(PermissionDeniedError):
        await intake.replace_into(actor, jean.id, clean)


async def test_a_merge_keeps_links_to_companies_the_actor_cannot_see(db, make_staff):
    boss = await make_staff("Boss")
    me = await make_staff("Me", level=Level.OWN)
    hidden = await companies.create(await actor_of(boss), "company", {"title": "Secret"})
    actor = await actor_of(me)
    jean = await contacts.create_contact(actor, {"first_name": "Jean", "last_name": "Dupont"})
    await ContactCompany.create(contact_id=jean.id, company_id=hidden.pk, is_primary=True)
    await intake.merge_draft(actor, jean.id, {"company_title": "Acme", "position": "CEO"})
    linked = await ContactCompany.filter(contact_id=jean.id).values_list("company_id", flat=True)
    assert hidden.pk in linked and len(linked) == 2


# --- contacts coming in validated (web forms, imports): create and the duplicate policies ---


async def _incoming(**data):
    """An incoming contact checked with the core's rules, as a web form or an import has it."""
    definitions = await customfields.active_fields()
    return await contacts.clean_input(data, definitions, creating=True), definitions


async def test_a_validated_contact_is_created_with_its_company_in_one_call(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    clean, definitions = await _incoming(first_name="Anne", last_name="Martin")
    contact = await intake.create_with_company(CLI, clean, definitions, "ACME")
    card = await contacts.load_card(contact)
    assert [(c.company_id, c.is_primary) for c in card.companies] == [(acme.pk, True)]
    assert card.version == 1  # one write: no link and no empty update after the create
    kinds = await HistoryEntry.filter(entity="contact", entity_id=card.id).values_list(
        "kind", flat=True
    )
    assert kinds == [HistoryKind.CREATED]
    twin, definitions = await _incoming(first_name="Anne", last_name="Martin")
    with pytest.raises(DuplicateContactError):
        await intake.create_with_company(CLI, twin, definitions, "New Co")
    assert await Company.all().count() == 1  # refused before the company was made


def test_an_incoming_contact_goes_to_a_readable_channel_match_before_a_same_name():
    def match(contact_id, reason, readable=True):
        return DuplicateMatch(contact_id, "x", reason, "v", readable)

    name, phone, hidden = match(1, "name"), match(2, "phone"), match(3, "email", False)
    assert intake.preferred_match([name, hidden, phone]) == phone
    assert intake.preferred_match([hidden, name]) == name
    assert intake.preferred_match([hidden]) is None
    assert intake.preferred_match([]) is None


async def test_merge_fills_adds_links_and_appends_the_message_in_one_update(db):
    jean = await _jean(position="CEO", comment="Met at the fair")
    clean, _ = await _incoming(
        first_name="Jean-Marie", last_name="Dupont", position="Intern", emails=["jd@x.fr"]
    )
    merged = await intake.merge_into(
        CLI, jean.id, clean, company_title="Acme", message="Send a quote"
    )
    contact = merged.card.contact
    assert (contact.first_name, contact.position) == ("Jean", "CEO")
    assert contact.comment == "Met at the fair\n\nSend a quote"
    assert merged.card.values(ChannelKind.EMAIL) == ["jd@x.fr"]
    assert [c.title for c in merged.card.companies] == ["Acme"]
    assert merged.added == ["emails", "companies"]
    assert contact.version == jean.version + 2  # the fields in one update, then the link
    again = await intake.merge_into(CLI, jean.id, clean, message="Send a quote")
    assert again.added == [] and again.card.version == contact.version  # nothing new


async def test_replace_overwrites_puts_the_incoming_phone_first_keeps_responsible_and_source(
    db, make_staff
):
    ann = await make_staff("Ann")
    source = (await catalog.list_sources())[0]
    jean = await _jean(
        phones=["0142685300"], source_id=source.id, responsible_id=ann.id, comment="VIP"
    )
    other = (await catalog.list_sources())[1]
    clean, _ = await _incoming(
        first_name="Jean-Pierre",
        last_name="Durand",
        phones=["06 12 34 56 78"],
        source_id=other.id,
        comment="not a value to replace",
    )
    card = await intake.replace_into(CLI, jean.id, clean, company_title="Acme", message="New")
    contact = card.contact
    assert (contact.first_name, contact.last_name) == ("Jean-Pierre", "Durand")
    assert (contact.source_id, contact.responsible_id) == (source.id, ann.id)
    assert contact.comment == "VIP\n\nNew"
    phones = [c.normalized for c in card.channels if c.kind == ChannelKind.PHONE]
    assert phones == ["+33612345678", "+33142685300"]
    assert [c.title for c in card.companies] == ["Acme"]


async def test_a_message_is_appended_once(db):
    jean = await _jean(comment="Met at the fair")
    card = await intake.append_message(CLI, jean.id, "Call me")
    assert card.contact.comment == "Met at the fair\n\nCall me"
    again = await intake.append_message(CLI, jean.id, "Call me")
    assert again.contact.comment == card.contact.comment
    assert again.version == card.version  # nothing written
    with pytest.raises(StaleEditError):
        await intake.append_message(CLI, jean.id, "Later", expected_version=jean.version)


# --- the dialog -----------------------------------------------------------------------------


async def test_the_dialog_asks_the_visible_fields_in_layout_order(db):
    await layout.set_hidden(CLI, "middle_name", True)
    await layout.place_field(CLI, "birthdate", "about", 0)
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    await customfields.create_field(CLI, {"code": "manager", "label": "Manager", "type": "staff"})
    await customfields.create_field(
        CLI, {"code": "tier", "label": "Tier", "type": "string", "required": True}
    )
    await layout.set_hidden(CLI, "uf:tier", True)
    questions = await intake.dialog_questions(CLI)
    assert [q.name for q in questions] == [
        "birthdate",
        "honorific",
        "first_name",
        "last_name",
        "phones",
        "emails",
        "companies",
        "position",
        "type_id",
        "source_id",
        "websites",
        "messengers",
        "comment",
        "source_description",
        "uf:vat",
        "uf:tier",
    ]
    by_name = {q.name: q for q in questions}
    types = await catalog.list_types()
    assert [(c.id, c.label) for c in by_name["type_id"].choices] == [(t.id, t.name) for t in types]
    assert by_name["uf:tier"].required and not by_name["uf:vat"].required
    assert by_name["birthdate"].kind == "date" and by_name["phones"].kind == "channel"


async def test_list_and_yes_no_custom_fields_are_answered_by_buttons(db):
    await customfields.create_field(
        CLI,
        {
            "code": "tier",
            "label": "Tier",
            "type": "list",
            "options": [{"key": "a", "label": "Gold"}, "silver"],
        },
    )
    await customfields.create_field(CLI, {"code": "vip", "label": "VIP", "type": "boolean"})
    by_name = {q.name: q for q in await intake.dialog_questions(CLI)}
    assert [(c.id, c.label, c.value) for c in by_name["uf:tier"].choices] == [
        (0, "Gold", "a"),
        (1, "silver", "silver"),
    ]
    assert [c.value for c in by_name["uf:vip"].choices] == [True, False]
    assert await intake.validate_field("uf:tier", "gold") == ["a"]
    assert await intake.validate_field("uf:vip", True) == [True]


def test_skip_is_refused_for_the_second_name_when_the_first_is_empty():
    last = intake.Question("last_name", "text")
    assert intake.must_answer(last, {}, ["honorific", "first_name"])
    assert not intake.must_answer(last, {"first_name": "Jean"}, ["first_name"])
    assert not intake.must_answer(last, {}, [])  # the first name comes later
    assert intake.must_answer(intake.Question("uf:x", "text", required=True), {}, [])


async def test_each_answer_is_checked_with_the_core_rules(db):
    assert await intake.validate_field("first_name", "  Jean  ") == "Jean"
    assert await intake.validate_field("phones", "06 12 34 56 78\n01 40 00 00 00") == [
        {"value": "06 12 34 56 78", "value_type": "MOBILE"},
        {"value": "01 40 00 00 00", "value_type": "WORK"},
    ]
    assert await intake.validate_field("emails", "a@x.fr, b@x.fr") == [
        {"value": "a@x.fr", "value_type": "WORK"},
        {"value": "b@x.fr", "value_type": "WORK"},
    ]
    assert await intake.validate_field("birthdate", "25/04/1990") == "1990-04-25"
    assert await intake.validate_field("companies", " Acme  Corp ") == "Acme Corp"
    client = (await catalog.list_types())[0]
    assert await intake.validate_field("type_id", client.name.upper()) == client.id
    assert await intake.validate_field("type_id", client.id) == client.id


@pytest.mark.parametrize(
    ("name", "value", "key", "message"),
    [
        ("phones", "12", "phones", "is not a valid phone number"),
        ("emails", "nope", "emails", "An email address must have an @-sign."),
        ("birthdate", "31/02/1990", "birthdate", "must be a date"),
        ("birthdate", "1850-01-01", "birthdate", "must be between 1900 and today"),
        ("first_name", "x" * 101, "first_name", "is longer than 100 characters"),
        ("type_id", "Nope", "type_id", "must be one of Client"),
        ("type_id", "999", "type_id", "does not exist"),
        ("phones", " , ", "phones", "is empty"),
        ("observers", "1", "observers", "is not a contact field"),
    ],
)
async def test_a_wrong_answer_gets_the_core_message(db, name, value, key, message):
    with pytest.raises(ValidationError) as caught:
        await intake.validate_field(name, value)
    assert list(caught.value.errors) == [key]
    assert message in caught.value.errors[key]


async def test_answers_go_where_create_contact_takes_them():
    draft: dict = {}
    intake.put_answer(draft, "companies", "Acme")
    intake.put_answer(draft, "uf:vat", ["FR1"])
    intake.put_answer(draft, "position", "CEO")
    assert draft == {"company_title": "Acme", "custom": {"vat": ["FR1"]}, "position": "CEO"}
    intake.drop_answer(draft, "uf:vat")
    intake.drop_answer(draft, "companies")
    assert draft == {"position": "CEO"}
    assert intake.question_of_error("custom.vat") == "uf:vat"
    assert intake.question_of_error("phones.1") == "phones"


# --- other ways in --------------------------------------------------------------------------


async def test_a_shared_contact_keeps_what_its_vcard_adds(db):
    vcard = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Dupont;Jean\nTEL;TYPE=CELL:+33612345678\n"
        "EMAIL:jean@x.fr\nORG:Acme\nEND:VCARD\n"
    )
    draft = intake.draft_from_telegram_contact("33612345678", "Jean", "Dupont", vcard)
    assert draft["first_name"] == "Jean" and draft["company_title"] == "Acme"
    card = await intake.create_from_draft(CLI, draft)
    assert sorted(c.normalized for c in card.channels) == ["+33612345678", "jean@x.fr"]
    assert intake.draft_from_telegram_contact("+33612345678", "Jean", None, "garbage") == {
        "first_name": "Jean",
        "phones": [{"value": "+33612345678", "value_type": "MOBILE"}],
    }


async def test_a_forwarded_sender_becomes_a_contact_with_a_telegram_messenger(db):
    card = await intake.create_from_draft(CLI, intake.draft_from_forward("Jean", None, "jdupont"))
    assert [(c.value, c.normalized, c.value_type) for c in card.channels] == [
        ("@jdupont", "jdupont", "TELEGRAM")
    ]
    hidden = intake.draft_from_hidden_sender("Marie Curie")
    assert hidden == {"first_name": "Marie", "last_name": "Curie"}


async def test_a_vcard_file_over_the_limit_or_without_cards_is_a_validation_error(db):
    with pytest.raises(ValidationError) as caught:
        await intake.drafts_from_vcard(b"x" * (intake.MAX_VCARD_BYTES + 1))
    assert "1 MB" in caught.value.errors["file"]
    with pytest.raises(ValidationError) as caught:
        await intake.drafts_from_vcard(b"\x89PNG\r\n\x1a\n")
    assert "no contact card" in caught.value.errors["file"]
    card = b"BEGIN:VCARD\nVERSION:3.0\nN:A;B\nEND:VCARD\n"
    with pytest.raises(ValidationError) as caught:
        await intake.drafts_from_vcard(card * (intake.MAX_VCARDS + 1))
    assert "more than 500" in caught.value.errors["file"]


async def test_a_batch_creates_the_new_holds_the_duplicates_and_reports_the_invalid(db):
    jean = await _jean()
    entries = await intake.drafts_from_vcard(
        b"BEGIN:VCARD\nVERSION:3.0\nN:Martin;Paul\nTEL:01 40 00 00 00\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\nN:Dupont;J.\nTEL:06 12 34 56 78\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\nN:Bad;Mail\nEMAIL:nope\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\ngarbage line\nEND:VCARD\n"
    )
    batch = await intake.create_drafts(CLI, entries)
    assert [c.contact.last_name for c in batch.created] == ["Martin"]
    assert [(d["last_name"], [m.contact_id for m in ms]) for d, ms in batch.duplicates] == [
        ("Dupont", [jean.id])
    ]
    assert [(n, sorted(e)) for n, e in batch.invalid] == [(3, ["emails"]), (4, ["vcard"])]
    assert await Contact.all().count() == 2
