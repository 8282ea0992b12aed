"""Contact use cases against a real database: create, update, delete/restore/purge, links."""

from datetime import date
from decimal import Decimal

import pytest

from crm import companies, contacts, customfields, search
from crm.actors import system_actor
from crm.db import utcnow
from crm.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from models import (
    Activity,
    Channel,
    Company,
    Contact,
    ContactCompany,
    ContactDeal,
    ContactObserver,
    ContactQuote,
    ContactType,
    CustomFieldValue,
    HistoryEntry,
    Source,
)
from models.enums import ActivityKind, ChannelKind, HistoryKind, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _counts() -> dict[str, int]:
    return {
        "contacts": await Contact.all().count(),
        "channels": await Channel.all().count(),
        "custom": await CustomFieldValue.all().count(),
        "observers": await ContactObserver.all().count(),
        "companies": await ContactCompany.all().count(),
        "history": await HistoryEntry.all().count(),
    }


async def _history(contact_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    rows = await HistoryEntry.filter(entity="contact", entity_id=contact_id).order_by("id")
    return [(str(r.kind.value), r.field, r.before, r.after) for r in rows]


async def _found(query: str) -> list[int]:
    return [row.id for row in (await search.search_contacts(CLI, query)).items]


# --- create_contact: validation -------------------------------------------------------------


async def test_it_requires_a_first_or_a_last_name(db):
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(CLI, {"position": "CEO", "phones": ["0612345678"]})
    assert caught.value.errors == {"first_name": "a first or a last name is required"}
    assert await Contact.all().count() == 0


async def test_it_accepts_a_last_name_alone(db):
    card = await contacts.create_contact(CLI, {"last_name": "  Dupont  "})
    assert (card.contact.first_name, card.contact.last_name) == (None, "Dupont")


async def test_it_reports_every_bad_field_at_once(db):
    before = await _counts()
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI,
            {
                "first_name": "x" * 101,
                "birthdate": "31/02/1990",
                "opened": "maybe",
                "phones": ["12", "06 12 34 56 78"],
                "emails": ["not-an-email"],
                "type_id": "abc",
                "colour": "blue",
                "observers": "5",
            },
        )
    errors = caught.value.errors
    assert set(errors) == {
        "first_name",
        "birthdate",
        "opened",
        "phones.0",
        "emails",
        "type_id",
        "colour",
        "observers",
    }
    assert errors["first_name"] == "is longer than 100 characters"
    assert errors["birthdate"] == "must be a date such as 1990-04-25 or 25/04/1990"
    assert errors["opened"] == "must be yes or no"
    assert errors["phones.0"] == "is not a valid phone number"
    assert errors["type_id"] == "must be an id"
    assert errors["colour"] == "is not a contact field"
    assert errors["observers"] == "must be a list of ids"
    assert await _counts() == before


async def test_it_reports_a_missing_name_together_with_other_errors(db):
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(CLI, {"emails": ["nope"]})
    assert set(caught.value.errors) == {"first_name", "emails"}


async def test_clean_input_reports_every_problem_at_once_in_a_fixed_order(db):
    with pytest.raises(ValidationError) as caught:
        await contacts.clean_input(
            {
                "colour": "red",
                "custom": ["not", "a", "map"],
                "companies": "1",
                "observers": [True],
                "emails": ["nope"],
                "responsible_id": "x",
                "birthdate": "1899-12-31",
                "opened": "maybe",
                "position": "P" * 201,
            },
            {},
            creating=True,
        )
    assert list(caught.value.errors) == [
        "colour",
        "position",
        "opened",
        "birthdate",
        "responsible_id",
        "emails",
        "observers",
        "companies",
        "custom",
        "first_name",
    ]
    assert caught.value.errors["first_name"] == contacts.NAME_REQUIRED


async def test_clean_input_checks_references_only_once_the_input_is_clean(db):
    with pytest.raises(ValidationError) as caught:
        await contacts.clean_input({"type_id": 9999}, {}, creating=True)
    assert caught.value.errors == {"first_name": contacts.NAME_REQUIRED}
    with pytest.raises(ValidationError) as caught:
        await contacts.clean_input({"type_id": 9999}, {}, creating=False)
    assert caught.value.errors == {"type_id": "does not exist"}


async def test_clean_input_leaves_lists_it_was_not_given_alone(db):
    clean = await contacts.clean_input({"observers": None, "birthdate": ""}, {}, creating=False)
    assert (clean.observers, clean.companies) == ([], None)
    assert clean.scalars == {"birthdate": None}
    assert clean.channels == {} and clean.custom == {}


async def test_it_refuses_a_birthdate_in_the_future_or_before_1900(db):
    for value in ("2999-01-01", "1899-12-31"):
        with pytest.raises(ValidationError) as caught:
            await contacts.create_contact(CLI, {"last_name": "Doe", "birthdate": value})
        assert caught.value.errors == {"birthdate": "must be between 1900 and today"}


async def test_it_stores_phones_in_e164_and_keeps_what_was_typed(db):
    card = await contacts.create_contact(
        CLI,
        {
            "first_name": "Jean",
            "phones": [
                {"value": "06 12  34 56 78", "value_type": "mobile"},
                "+44 20 7946 0958",
                "0033 1 42 68 53 00",
            ],
        },
    )
    phones = [(c.value, c.normalized, c.value_type, c.is_primary) for c in card.channels]
    assert phones == [
        ("06 12 34 56 78", "+33612345678", "MOBILE", True),
        ("+44 20 7946 0958", "+442079460958", "WORK", False),
        ("0033 1 42 68 53 00", "+33142685300", "WORK", False),
    ]


async def test_it_drops_a_phone_typed_twice_in_two_formats(db):
    card = await contacts.create_contact(
        CLI, {"first_name": "Jean", "phones": ["06 12 34 56 78", "+33612345678"]}
    )
    assert card.values(ChannelKind.PHONE) == ["06 12 34 56 78"]


async def test_it_lower_cases_emails_and_validates_them(db):
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "emails": [{"value": "Ann.Lee@Example.COM", "type": "home"}]}
    )
    [email] = card.channels
    assert (email.value, email.normalized, email.value_type) == (
        "Ann.Lee@Example.COM",
        "ann.lee@example.com",
        "HOME",
    )


async def test_it_checks_the_value_type_of_each_channel_kind(db):
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI,
            {
                "first_name": "Ann",
                "phones": [{"value": "0612345678", "value_type": "TELEGRAM"}],
                "emails": [{"value": "a@b.fr", "value_type": "MOBILE"}],
                "messengers": [{"value": "@a", "value_type": "TELEGRAM"}],
                "websites": ["not a site"],
            },
        )
    assert caught.value.errors == {
        "phones": "type must be one of WORK, MOBILE, HOME, FAX, OTHER",
        "emails": "type must be one of WORK, HOME, OTHER",
        "messengers": "must be a Telegram username such as @jean_dupont",
        "websites": "must be a web address such as https://example.com",
    }


async def test_it_stores_websites_and_messengers_with_their_types(db):
    card = await contacts.create_contact(
        CLI,
        {
            "first_name": "Ann",
            "websites": ["Example.com/Ann"],
            "messengers": [
                {"value": "@Ann_Lee", "value_type": "telegram"},
                {"value": "+33612345678", "value_type": "WHATSAPP"},
            ],
        },
    )
    assert [(c.kind, c.value_type, c.value, c.normalized) for c in card.channels] == [
        (ChannelKind.MESSENGER, "TELEGRAM", "@Ann_Lee", "ann_lee"),
        (ChannelKind.MESSENGER, "WHATSAPP", "+33612345678", "+33612345678"),
        (ChannelKind.WEB, "WORK", "Example.com/Ann", "https://example.com/ann"),
    ]


async def test_it_checks_that_references_exist(db, make_staff):
    inactive = await make_staff("Gone", active=False)
    before = await _counts()
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI,
            {
                "last_name": "Doe",
                "type_id": 9999,
                "source_id": "9999",
                "responsible_id": inactive.id,
                "observers": [9999],
                "companies": [9999],
            },
        )
    assert caught.value.errors == {
        "type_id": "does not exist",
        "source_id": "does not exist",
        "responsible_id": "is not active staff",
        "observers": "must be active staff members",
        "companies": "must be existing companies",
    }
    assert await _counts() == before


async def test_it_stores_references_and_names_them_on_the_card(db, make_staff):
    owner = await make_staff("Marie")
    observer = await make_staff("Paul")
    client = await ContactType.get(name="Client")
    web = await Source.get(name="Website")
    card = await contacts.create_contact(
        CLI,
        {
            "last_name": "Doe",
            "type_id": client.id,
            "source_id": str(web.id),
            "responsible_id": owner.id,
            "observers": [observer.id, observer.id],
            "birthdate": "25/04/1990",
            "opened": "oui",
        },
    )
    assert (card.type_name, card.source_name, card.responsible_name) == (
        "Client",
        "Website",
        "Marie",
    )
    assert card.observer_ids == [observer.id]
    assert card.contact.birthdate == date(1990, 4, 25)
    assert card.contact.opened is True


async def test_the_responsible_defaults_to_the_creating_staff_member(db, make_staff):
    staff = await make_staff("Marie")
    card = await contacts.create_contact(await actor_of(staff), {"first_name": "Ann"})
    assert card.contact.responsible_id == staff.id
    assert card.contact.created_by_id == staff.id


async def test_it_refuses_to_create_for_someone_else_with_own_add_rights(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    with pytest.raises(PermissionDeniedError):
        await contacts.create_contact(
            await actor_of(me), {"first_name": "Ann", "responsible_id": other.id}
        )
    assert await Contact.all().count() == 0


async def test_it_records_the_creation_with_the_actor_label(db, make_staff):
    staff = await make_staff("Marie Curie")
    card = await contacts.create_contact(
        await actor_of(staff), {"first_name": "Ann", "last_name": "Lee"}
    )
    [entry] = await HistoryEntry.filter(entity="contact", entity_id=card.id)
    assert (entry.kind, entry.actor_label, entry.actor_staff_id, entry.after) == (
        HistoryKind.CREATED,
        "Marie Curie",
        staff.id,
        "Ann Lee",
    )
    card2 = await contacts.create_contact(system_actor("web form contact"), {"last_name": "Roe"})
    [entry2] = await HistoryEntry.filter(entity="contact", entity_id=card2.id)
    assert (entry2.actor_label, entry2.actor_staff_id) == ("web form contact", None)


# --- create_contact: custom values ----------------------------------------------------------


async def _fields() -> None:
    for data in (
        {"code": "size", "label": "Size", "type": "integer"},
        {"code": "budget", "label": "Budget", "type": "decimal"},
        {"code": "vip", "label": "VIP", "type": "boolean", "default": False},
        {"code": "met", "label": "Met on", "type": "date"},
        {"code": "call_at", "label": "Call at", "type": "datetime"},
        {
            "code": "tags",
            "label": "Tags",
            "type": "list",
            "multiple": True,
            "options": [{"key": "a", "label": "Alpha"}, {"key": "b", "label": "Beta"}],
        },
        {"code": "site", "label": "Site", "type": "url"},
        {"code": "alt_mail", "label": "Alt mail", "type": "email"},
        {"code": "alt_phone", "label": "Alt phone", "type": "phone"},
        {"code": "lang", "label": "Language", "type": "string", "default": "fr"},
        {"code": "manager", "label": "Manager", "type": "staff"},
    ):
        await customfields.create_field(CLI, data)


async def test_it_stores_custom_values_by_type_with_defaults(db, make_staff):
    await _fields()
    boss = await make_staff("Boss")
    card = await contacts.create_contact(
        CLI,
        {
            "last_name": "Doe",
            "custom": {
                "size": "42",
                "budget": "1 234,5",
                "met": "01/02/2024",
                "call_at": "2026-05-01T10:00+02:00",
                "tags": ["Beta", "a"],
                "site": "example.com",
                "alt_mail": "X@Y.fr",
                "alt_phone": "06 12 34 56 78",
                "manager": boss.id,
            },
        },
    )
    custom = card.custom
    assert custom["size"] == [42]
    assert custom["budget"] == [Decimal("1234.5")]
    assert custom["vip"] == [False]
    assert custom["met"] == [date(2024, 2, 1)]
    assert custom["call_at"][0].isoformat() == "2026-05-01T08:00:00+00:00"
    assert custom["tags"] == ["b", "a"]
    assert custom["site"] == ["https://example.com"]
    assert custom["alt_mail"] == ["x@y.fr"]
    assert custom["alt_phone"] == ["+33612345678"]
    assert custom["lang"] == ["fr"]
    assert custom["manager"] == [boss.id]


async def test_it_reports_bad_custom_values_per_field_and_writes_nothing(db):
    await _fields()
    before = await _counts()
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI,
            {
                "last_name": "Doe",
                "custom": {
                    "size": "forty",
                    "budget": "abc",
                    "met": "yesterday",
                    "call_at": "2026-05-01T10:00",
                    "tags": ["c"],
                    "vip": ["yes", "no"],
                    "manager": 9999,
                    "nope": 1,
                },
            },
        )
    assert caught.value.errors == {
        "custom.size": "must be a whole number",
        "custom.budget": "must be a number such as 12.50",
        "custom.met": "must be a date such as 1990-04-25 or 25/04/1990",
        "custom.call_at": "must include a time zone (e.g. +02:00 or Z)",
        "custom.tags": "must be one of a, b",
        "custom.vip": "takes one value",
        "custom.manager": "must be an existing staff member",
        "custom.nope": "is not a custom field",
    }
    assert await _counts() == before


async def test_custom_value_errors_come_in_step_order(db):
    await _fields()
    await customfields.create_field(
        CLI, {"code": "vat", "label": "VAT", "type": "string", "required": True}
    )
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI,
            {
                "last_name": "Doe",
                "custom": {"manager": 9999, "nope": 1, "size": "forty", "vip": ["yes", "no"]},
            },
        )
    assert list(caught.value.errors.items()) == [
        ("custom.nope", "is not a custom field"),
        ("custom.size", "must be a whole number"),
        ("custom.vip", "takes one value"),
        ("custom.vat", "is required"),
        ("custom.manager", "must be an existing staff member"),
    ]


async def test_a_required_custom_field_must_be_filled_on_create(db):
    await customfields.create_field(
        CLI, {"code": "vat", "label": "VAT", "type": "string", "required": True}
    )
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(CLI, {"last_name": "Doe"})
    assert caught.value.errors == {"custom.vat": "is required"}
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(CLI, {"last_name": "Doe", "custom": {"vat": "  "}})
    assert caught.value.errors == {"custom.vat": "is required"}
    card = await contacts.create_contact(CLI, {"last_name": "Doe", "custom": {"vat": "FR1"}})
    assert card.custom == {"vat": ["FR1"]}
    card2 = await contacts.update_contact(CLI, card.id, {"first_name": "Jo"}, card.version)
    assert card2.custom == {"vat": ["FR1"]}
    with pytest.raises(ValidationError) as caught:
        await contacts.update_contact(CLI, card.id, {"custom": {"vat": None}}, card2.version)
    assert caught.value.errors == {"custom.vat": "is required"}


# --- update_contact ---------------------------------------------------------------------------


async def test_it_updates_only_the_given_fields_and_records_each_change(db, make_staff):
    staff = await make_staff("Marie")
    actor = await actor_of(staff)
    card = await contacts.create_contact(
        actor, {"first_name": "Ann", "last_name": "Lee", "position": "CEO"}
    )
    updated = await contacts.update_contact(
        actor,
        card.id,
        {"first_name": "Anna", "comment": "met at\n the fair ", "position": "CEO"},
        card.version,
    )
    assert (updated.contact.first_name, updated.contact.last_name) == ("Anna", "Lee")
    assert updated.contact.comment == "met at\n the fair"
    assert updated.contact.position == "CEO"
    assert updated.version == card.version + 1
    assert (await _history(card.id))[1:] == [
        ("changed", "first_name", "Ann", "Anna"),
        ("changed", "comment", None, "met at\n the fair"),
    ]
    entries = await HistoryEntry.filter(entity="contact", entity_id=card.id, kind="changed")
    assert {(e.actor_label, e.actor_staff_id) for e in entries} == {("Marie", staff.id)}


async def test_an_unchanged_update_writes_nothing(db):
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "phones": ["06 12 34 56 78"], "emails": ["a@b.fr"]}
    )
    before = await _counts()
    same = await contacts.update_contact(
        CLI,
        card.id,
        {"first_name": " Ann ", "phones": ["06 12 34 56 78"], "emails": ["a@b.fr"]},
        card.version,
    )
    assert same.version == card.version
    assert await _counts() == before
    assert (await Contact.get(id=card.id)).version == card.version


async def test_it_refuses_a_stale_edit_and_writes_nothing(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    fresh = await contacts.update_contact(CLI, card.id, {"last_name": "Lee"}, card.version)
    before = await _counts()
    with pytest.raises(StaleEditError) as caught:
        await contacts.update_contact(CLI, card.id, {"last_name": "Roe"}, card.version)
    assert caught.value.current_version == fresh.version
    assert (await Contact.get(id=card.id)).last_name == "Lee"
    assert await _counts() == before


async def test_it_refuses_to_empty_both_names(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    with pytest.raises(ValidationError) as caught:
        await contacts.update_contact(CLI, card.id, {"first_name": ""}, card.version)
    assert caught.value.errors == {"first_name": "a first or a last name is required"}


async def test_it_records_an_assignment_as_assigned(db, make_staff):
    a = await make_staff("A")
    b = await make_staff("B")
    card = await contacts.create_contact(CLI, {"first_name": "Ann", "responsible_id": a.id})
    await contacts.update_contact(CLI, card.id, {"responsible_id": b.id}, card.version)
    assert (await _history(card.id))[-1] == ("assigned", "responsible_id", str(a.id), str(b.id))


async def test_it_replaces_channels_and_records_them(db):
    card = await contacts.create_contact(
        CLI,
        {
            "first_name": "Ann",
            "phones": ["06 12 34 56 78", "01 42 68 53 00"],
            "emails": ["a@b.fr"],
        },
    )
    # Swap the order (makes the second primary), change a type, drop the e-mail, add one.
    updated = await contacts.update_contact(
        CLI,
        card.id,
        {
            "phones": [
                {"value": "+33142685300", "value_type": "HOME"},
                "0612345678",
                "07 81 23 45 67",
            ],
            "emails": [],
        },
        card.version,
    )
    assert [(c.value, c.value_type, c.is_primary) for c in updated.channels] == [
        ("+33142685300", "HOME", True),
        ("0612345678", "WORK", False),
        ("07 81 23 45 67", "WORK", False),
    ]
    assert await Channel.filter(contact_id=card.id, kind="email").count() == 0
    assert (await _history(card.id))[1:] == [
        (
            "changed",
            "phones",
            "06 12 34 56 78 (WORK), 01 42 68 53 00 (WORK)",
            "+33142685300 (HOME), 0612345678 (WORK), 07 81 23 45 67 (WORK)",
        ),
        ("changed", "emails", "a@b.fr (WORK)", None),
    ]
    assert await _found("0781234567") == [card.id]
    assert await _found("a@b.fr") == []


async def test_it_updates_custom_values_and_records_them(db):
    await _fields()
    card = await contacts.create_contact(CLI, {"last_name": "Doe", "custom": {"size": 3}})
    updated = await contacts.update_contact(
        CLI, card.id, {"custom": {"size": None, "tags": ["a", "b"]}}, card.version
    )
    assert "size" not in updated.custom
    assert updated.custom["tags"] == ["a", "b"]
    assert sorted(h for h in await _history(card.id) if h[1] and h[1].startswith("custom")) == [
        ("changed", "custom.size", "3", None),
        ("changed", "custom.tags", None, "a, b"),
    ]


async def test_it_replaces_observers_and_companies(db, make_staff):
    p1 = await make_staff("P1")
    p2 = await make_staff("P2")
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    globex = await companies.create(CLI, "company", {"title": "Globex"})
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "observers": [p1.id], "companies": [acme.id]}
    )
    assert [(c.title, c.is_primary) for c in card.companies] == [("Acme", True)]
    updated = await contacts.update_contact(
        CLI,
        card.id,
        {"observers": [p2.id, p1.id], "companies": [globex.id, acme.id]},
        card.version,
    )
    assert sorted(updated.observer_ids) == sorted([p1.id, p2.id])
    assert sorted((c.title, c.is_primary) for c in updated.companies) == [
        ("Acme", False),
        ("Globex", True),
    ]
    assert (await _history(card.id))[1:] == [
        ("changed", "observers", str(p1.id), f"{p2.id}, {p1.id}"),
        ("changed", "companies", str(acme.id), f"{globex.id}, {acme.id}"),
    ]
    assert await _found("globex") == [card.id]


async def test_an_observer_may_read_but_not_edit(db, make_staff):
    owner = await make_staff("Owner")
    watcher = await make_staff("Watcher", level=Level.OWN)
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "responsible_id": owner.id, "observers": [watcher.id]}
    )
    actor = await actor_of(watcher)
    assert (await contacts.get_contact(actor, card.id)).id == card.id
    with pytest.raises(PermissionDeniedError):
        await contacts.update_contact(actor, card.id, {"first_name": "X"}, card.version)


# --- delete / restore / purge ---------------------------------------------------------------


async def test_it_deletes_restores_and_purges_keeping_the_history(db, make_staff):
    staff = await make_staff("Marie")
    actor = await actor_of(staff)
    card = await contacts.create_contact(
        actor, {"first_name": "Zoé", "last_name": "Martin", "phones": ["06 11 22 33 44"]}
    )
    assert await _found("zoe") == [card.id]

    await contacts.delete_contact(actor, card.id)
    assert await _found("zoe") == []
    assert await _found("0611223344") == []
    assert [c.id for c in await contacts.recycle_bin(actor)] == [card.id]
    with pytest.raises(NotFoundError):
        await contacts.get_contact(actor, card.id)
    with pytest.raises(NotFoundError):
        await contacts.delete_contact(actor, card.id)

    restored = await contacts.restore_contact(actor, card.id)
    assert restored.contact.deleted_at is None
    assert await _found("zoe") == [card.id]
    assert await contacts.recycle_bin(actor) == []
    with pytest.raises(NotFoundError):
        await contacts.purge_contact(actor, card.id)  # only from the recycle bin

    await contacts.delete_contact(actor, card.id)
    await contacts.purge_contact(actor, card.id)
    assert not await Contact.exists(id=card.id)
    assert await Channel.filter(contact_id=card.id).count() == 0
    assert await contacts.recycle_bin(actor) == []
    assert [h[0] for h in await _history(card.id)] == [
        "created",
        "deleted",
        "restored",
        "deleted",
        "purged",
    ]
    assert (await _history(card.id))[-1][2] == "Zoé Martin"
    with pytest.raises(NotFoundError):
        await contacts.restore_contact(actor, card.id)


async def test_the_recycle_bin_shows_only_what_the_actor_may_delete(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    mine = await contacts.create_contact(CLI, {"first_name": "A", "responsible_id": me.id})
    theirs = await contacts.create_contact(CLI, {"first_name": "B", "responsible_id": other.id})
    await contacts.delete_contact(CLI, mine.id)
    await contacts.delete_contact(CLI, theirs.id)
    actor = await actor_of(me)
    assert [c.id for c in await contacts.recycle_bin(actor)] == [mine.id]
    with pytest.raises(PermissionDeniedError):
        await contacts.restore_contact(actor, theirs.id)


# --- links and dependencies -----------------------------------------------------------------


async def test_the_first_linked_company_becomes_primary(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    globex = await companies.create(CLI, "company", {"title": "Globex"})
    await contacts.link(CLI, card.id, "company", acme.id)
    await contacts.link(CLI, card.id, "company", globex.id)
    links = await contacts.get_contact(CLI, card.id)
    assert sorted((c.title, c.is_primary) for c in links.companies) == [
        ("Acme", True),
        ("Globex", False),
    ]
    await contacts.link(CLI, card.id, "company", globex.id, primary=True)
    links = await contacts.get_contact(CLI, card.id)
    assert sorted((c.title, c.is_primary) for c in links.companies) == [
        ("Acme", False),
        ("Globex", True),
    ]
    await contacts.unlink(CLI, card.id, "company", globex.id)
    links = await contacts.get_contact(CLI, card.id)
    assert [(c.title, c.is_primary) for c in links.companies] == [("Acme", True)]
    assert await _found("globex") == []
    assert await _found("acme") == [card.id]
    assert [h for h in await _history(card.id) if h[0] != "created"] == [
        ("linked", "company", None, f"Acme (#{acme.id})"),
        ("linked", "company", None, f"Globex (#{globex.id})"),
        ("changed", "primary_company", f"Acme (#{acme.id})", f"Globex (#{globex.id})"),
        ("unlinked", "company", f"Globex (#{globex.id})", None),
    ]


async def test_linking_twice_changes_nothing(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    deal = await companies.create(CLI, "deal", {"title": "Big deal"})
    await contacts.link(CLI, card.id, "deal", deal.id)
    version = (await Contact.get(id=card.id)).version
    history = await HistoryEntry.all().count()
    await contacts.link(CLI, card.id, "deal", deal.id)
    await contacts.unlink(CLI, card.id, "quote", 12345)
    assert await ContactDeal.filter(contact_id=card.id).count() == 1
    assert (await Contact.get(id=card.id)).version == version
    assert await HistoryEntry.all().count() == history


async def test_it_refuses_to_link_an_unknown_kind_or_target(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    with pytest.raises(ValidationError) as caught:
        await contacts.link(CLI, card.id, "invoice", 1)
    assert caught.value.errors == {"kind": "must be company, deal or quote"}
    with pytest.raises(NotFoundError):
        await contacts.link(CLI, card.id, "company", 9999)
    deleted = await companies.create(CLI, "company", {"title": "Old"})
    await companies.delete(CLI, "company", deleted.pk)
    with pytest.raises(NotFoundError):
        await contacts.link(CLI, card.id, "company", deleted.pk)


async def test_it_refuses_to_link_a_company_the_actor_cannot_read(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    card = await contacts.create_contact(CLI, {"first_name": "Ann", "responsible_id": me.id})
    hidden = await companies.create(CLI, "company", {"title": "X", "responsible_id": other.id})
    # The same answer as for a company that does not exist: no oracle of which ids exist.
    with pytest.raises(NotFoundError) as hidden_answer:
        await contacts.link(await actor_of(me), card.id, "company", hidden.pk)
    with pytest.raises(NotFoundError) as missing_answer:
        await contacts.link(await actor_of(me), card.id, "company", hidden.pk + 1000)
    assert str(hidden_answer.value).replace(str(hidden.pk), "N") == str(
        missing_answer.value
    ).replace(str(hidden.pk + 1000), "N")
    assert await ContactCompany.all().count() == 0


async def test_dependencies_list_links_and_activities(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    card = await contacts.create_contact(CLI, {"first_name": "Ann", "responsible_id": me.id})
    acme = await companies.create(CLI, "company", {"title": "Acme", "responsible_id": me.id})
    secret = await companies.create(CLI, "company", {"title": "Secret", "responsible_id": other.id})
    deal = await companies.create(CLI, "deal", {"title": "D1", "responsible_id": me.id})
    quote = await companies.create(CLI, "quote", {"title": "Q1", "responsible_id": me.id})
    for kind, target in (("company", acme), ("company", secret), ("deal", deal), ("quote", quote)):
        await contacts.link(CLI, card.id, kind, target.pk)
    call = await Activity.create(
        kind=ActivityKind.CALL,
        subject="Call",
        start_at=utcnow(),
        contact_id=card.id,
        responsible_id=me.id,
    )
    deps = await contacts.dependencies(await actor_of(me), card.id)
    assert [c.title for c in deps.companies] == ["Acme"]
    assert [d.title for d in deps.deals] == ["D1"]
    assert [q.title for q in deps.quotes] == ["Q1"]
    assert [a.id for a in deps.activities] == [call.id]
    assert await ContactQuote.filter(contact_id=card.id).count() == 1


async def test_it_refuses_companies_the_actor_cannot_read_in_create_and_update(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    hidden = await companies.create(CLI, "company", {"title": "X", "responsible_id": other.id})
    mine = await companies.create(CLI, "company", {"title": "Y", "responsible_id": me.id})
    actor = await actor_of(me)
    # Refused as a company that does not exist would be (no oracle of which ids exist).
    missing = {"companies": "must be existing companies"}
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(actor, {"first_name": "Ann", "companies": [hidden.pk]})
    assert caught.value.errors == missing
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(actor, {"first_name": "Ann", "companies": [hidden.pk + 99]})
    assert caught.value.errors == missing
    card = await contacts.create_contact(actor, {"first_name": "Ann", "companies": [mine.pk]})
    with pytest.raises(ValidationError) as caught:
        await contacts.update_contact(
            actor, card.id, {"companies": [mine.pk, hidden.pk]}, card.version
        )
    assert caught.value.errors == missing
    assert await ContactCompany.filter(contact_id=card.id).values_list("company_id", flat=True) == [
        mine.pk
    ]


async def test_it_refuses_an_inactive_staff_member_as_observer(db, make_staff):
    inactive = await make_staff("Left the company", active=False)
    with pytest.raises(ValidationError) as caught:
        await contacts.create_contact(
            CLI, {"first_name": "Obs", "last_name": "X", "observers": [inactive.id]}
        )
    assert caught.value.errors == {"observers": "must be active staff members"}


async def test_the_card_leaves_out_companies_the_reader_may_not_see(db, make_staff):
    reader = await make_staff("Reader", level=Level.OPEN)
    stranger = await make_staff("Stranger")
    visible = await companies.create(CLI, "company", {"title": "Open Co", "opened": True})
    hidden = await companies.create(
        CLI, "company", {"title": "Secret Co", "responsible_id": stranger.id}
    )
    card = await contacts.create_contact(
        CLI,
        {
            "first_name": "Shared",
            "last_name": "Person",
            "responsible_id": reader.id,
            "companies": [hidden.id, visible.id],
        },
    )

    seen = await contacts.get_contact(await actor_of(reader), card.id)

    assert [c.title for c in seen.companies] == ["Open Co"]
    assert {c.title for c in (await contacts.get_contact(CLI, card.id)).companies} == {
        "Open Co",
        "Secret Co",
    }


async def test_an_edit_keeps_the_company_links_the_editor_could_not_see(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    hidden = await companies.create(CLI, "company", {"title": "X", "responsible_id": other.id})
    mine = await companies.create(CLI, "company", {"title": "Y", "responsible_id": me.id})
    extra = await companies.create(CLI, "company", {"title": "Z", "responsible_id": me.id})
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "responsible_id": me.id, "companies": [hidden.pk, mine.pk]}
    )
    actor = await actor_of(me)
    seen = await contacts.get_contact(actor, card.id)
    assert [c.company_id for c in seen.companies] == [mine.pk]
    # The editor sends back the companies they see, plus one: the hidden link stays, primary.
    await contacts.update_contact(actor, card.id, {"companies": [mine.pk, extra.pk]}, card.version)
    links = await ContactCompany.filter(contact_id=card.id).order_by("-is_primary", "id")
    assert [(link.company_id, link.is_primary) for link in links] == [
        (hidden.pk, True),
        (mine.pk, False),
        (extra.pk, False),
    ]
    # Sending back exactly what they see changes nothing.
    version = (await Contact.get(id=card.id)).version
    again = await contacts.update_contact(
        actor, card.id, {"companies": [mine.pk, extra.pk]}, version
    )
    assert again.version == version


# --- the edit and link dialogs' use cases ----------------------------------------------------


async def _jean(staff):
    return await contacts.create_contact(await actor_of(staff), {"first_name": "Jean"})


async def test_an_editable_card_is_refused_to_someone_who_may_only_read(db, make_staff):
    alice = await make_staff("Alice")
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL})
    jean = await _jean(alice)
    with pytest.raises(PermissionDeniedError):
        await contacts.get_contact_for_edit(await actor_of(reader), jean.id)
    card = await contacts.get_contact_for_edit(await actor_of(alice), jean.id, jean.version)
    assert card.id == jean.id


async def test_an_editable_card_at_an_old_version_is_stale(db, make_staff):
    alice = await make_staff("Alice")
    actor = await actor_of(alice)
    jean = await _jean(alice)
    await contacts.update_contact(actor, jean.id, {"position": "CEO"}, jean.version)
    with pytest.raises(StaleEditError) as caught:
        await contacts.get_contact_for_edit(actor, jean.id, jean.version)
    assert caught.value.current_version == jean.version + 1
    assert (await contacts.get_contact_for_edit(actor, jean.id)).version == jean.version + 1


async def test_contact_links_list_the_deals_one_may_read(db, make_staff):
    owner = await make_staff("Owner", level=Level.OWN)
    viewer = await make_staff("Viewer", level=Level.OWN)
    admin = await actor_of(await make_staff("Admin", admin=True))
    jean = await _jean(viewer)
    seen = await companies.create(await actor_of(viewer), "deal", {"title": "Seen"})
    hidden = await companies.create(await actor_of(owner), "deal", {"title": "Hidden"})
    await contacts.link(admin, jean.id, "deal", seen.pk)
    await contacts.link(admin, jean.id, "deal", hidden.pk)
    links = await contacts.get_contact_links(await actor_of(viewer), jean.id)
    assert [d.title for d in links.deals] == ["Seen"]
    assert links.card.id == jean.id


async def test_a_company_is_created_and_linked_as_primary(db, make_staff):
    alice = await make_staff("Alice")
    actor = await actor_of(alice)
    jean = await _jean(alice)
    company = await contacts.create_company_and_link(actor, jean.id, "  Nouvelle  Société ")
    assert company.title == "Nouvelle Société"
    assert await ContactCompany.exists(contact_id=jean.id, company_id=company.id, is_primary=True)
    card = await contacts.get_contact(actor, jean.id)
    assert card.version == jean.version + 1


async def test_no_company_is_created_for_a_contact_one_may_not_edit(db, make_staff):
    alice = await make_staff("Alice")
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL, "add": Level.ALL})
    jean = await _jean(alice)
    with pytest.raises(PermissionDeniedError):
        await contacts.create_company_and_link(await actor_of(reader), jean.id, "Acme")
    with pytest.raises(NotFoundError):
        await contacts.create_company_and_link(await actor_of(alice), 99999, "Acme")
    assert await Company.all().count() == 0


async def test_a_bad_title_creates_no_company(db, make_staff):
    alice = await make_staff("Alice")
    jean = await _jean(alice)
    with pytest.raises(ValidationError):
        await contacts.create_company_and_link(await actor_of(alice), jean.id, "   ")
    assert await Company.all().count() == 0


async def test_the_company_is_not_kept_when_the_link_fails(db, make_staff, monkeypatch):
    alice = await make_staff("Alice")
    actor = await actor_of(alice)
    jean = await _jean(alice)

    async def refused(*args, **kwargs):
        raise PermissionDeniedError("you may not edit this contact")

    monkeypatch.setattr(contacts.links, "link", refused)
    with pytest.raises(PermissionDeniedError):
        await contacts.create_company_and_link(actor, jean.id, "Acme")
    assert await Company.all().count() == 0


# --- editing one field's values -------------------------------------------------------------


async def _phones(contact_id):
    rows = await Channel.filter(contact_id=contact_id, kind=ChannelKind.PHONE).order_by("sort")
    return [(c.normalized, c.value_type, c.is_primary) for c in rows]


async def _with_two_phones(staff):
    data = {"first_name": "Jean", "phones": ["06 12 34 56 78", "+33 1 23 45 67 89"]}
    return await contacts.create_contact(await actor_of(staff), data)


async def test_a_channel_is_added_after_the_others_with_its_type(db, make_staff):
    alice = await make_staff("Alice")
    jean = await _with_two_phones(alice)
    card = await contacts.add_channel(
        await actor_of(alice), jean.id, ChannelKind.PHONE, "01 40 00 00 00", "FAX", jean.version
    )
    assert card.version == jean.version + 1
    assert [p[:2] for p in await _phones(jean.id)] == [
        ("+33612345678", "WORK"),
        ("+33123456789", "WORK"),
        ("+33140000000", "FAX"),
    ]
    entry = await HistoryEntry.filter(entity_id=jean.id, field="phones").get()
    assert "01 40 00 00 00 (FAX)" in (entry.after or "")


async def test_an_invalid_channel_is_refused_under_its_position_and_nothing_is_saved(
    db, make_staff
):
    alice = await make_staff("Alice")
    jean = await _with_two_phones(alice)
    with pytest.raises(ValidationError) as caught:
        await contacts.add_channel(
            await actor_of(alice), jean.id, ChannelKind.PHONE, "12", "WORK", jean.version
        )
    assert set(caught.value.errors) == {"phones.2"}
    assert len(await _phones(jean.id)) == 2


async def test_a_channel_is_made_primary_retyped_and_removed(db, make_staff):
    alice = await make_staff("Alice")
    actor = await actor_of(alice)
    jean = await _with_two_phones(alice)
    card = await contacts.make_channel_primary(actor, jean.id, ChannelKind.PHONE, 1, jean.version)
    assert await _phones(jean.id) == [
        ("+33123456789", "WORK", True),
        ("+33612345678", "WORK", False),
    ]
    card = await contacts.set_channel_type(
        actor, jean.id, ChannelKind.PHONE, 1, "MOBILE", card.version
    )
    assert (await _phones(jean.id))[1] == ("+33612345678", "MOBILE", False)
    card = await contacts.remove_channel(actor, jean.id, ChannelKind.PHONE, 0, card.version)
    assert await _phones(jean.id) == [("+33612345678", "MOBILE", True)]
    assert card.version == jean.version + 3


async def test_a_channel_position_or_type_that_does_not_exist_is_refused(db, make_staff):
    alice = await make_staff("Alice")
    actor = await actor_of(alice)
    jean = await _with_two_phones(alice)
    with pytest.raises(ValidationError) as caught:
        await contacts.remove_channel(actor, jean.id, ChannelKind.PHONE, 2, jean.version)
    assert caught.value.errors == {"phones": "has no value number 3"}
    with pytest.raises(ValidationError):
        await contacts.make_channel_primary(actor, jean.id, ChannelKind.PHONE, -1, jean.version)
    with pytest.raises(ValidationError):
        await contacts.set_channel_type(actor, jean.id, ChannelKind.PHONE, 0, "PAGER", jean.version)
    assert (await contacts.get_contact(actor, jean.id)).version == jean.version


async def test_channel_edits_need_the_edit_right_and_the_version_shown(db, make_staff):
    alice = await make_staff("Alice")
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL})
    jean = await _with_two_phones(alice)
    with pytest.raises(PermissionDeniedError):
        await contacts.remove_channel(
            await actor_of(reader), jean.id, ChannelKind.PHONE, 0, jean.version
        )
    actor = await actor_of(alice)
    await contacts.update_contact(actor, jean.id, {"position": "CEO"}, jean.version)
    with pytest.raises(StaleEditError):
        await contacts.remove_channel(actor, jean.id, ChannelKind.PHONE, 0, jean.version)
    assert len(await _phones(jean.id)) == 2


async def test_observers_are_toggled_on_and_off(db, make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    actor = await actor_of(alice)
    jean = await _jean(alice)
    card = await contacts.toggle_value(actor, jean.id, "observers", bob.id, jean.version)
    assert card.observer_ids == [bob.id]
    card = await contacts.toggle_value(actor, jean.id, "observers", alice.id, card.version)
    assert sorted(card.observer_ids) == sorted([alice.id, bob.id])
    card = await contacts.toggle_value(actor, jean.id, "observers", bob.id, card.version)
    assert card.observer_ids == [alice.id]


async def test_a_multiple_custom_value_is_toggled_and_a_single_field_refused(db, make_staff):
    alice = await make_staff("Alice", admin=True)
    actor = await actor_of(alice)
    options = [{"key": "vip", "label": "VIP"}, {"key": "press", "label": "Press"}]
    data = {"code": "tags", "label": "Tags", "type": "list", "multiple": True, "options": options}
    await customfields.create_field(actor, data)
    jean = await _jean(alice)
    card = await contacts.toggle_value(actor, jean.id, "custom.tags", "press", jean.version)
    card = await contacts.toggle_value(actor, jean.id, "custom.tags", "vip", card.version)
    assert card.custom["tags"] == ["press", "vip"]
    card = await contacts.toggle_value(actor, jean.id, "custom.tags", "press", card.version)
    assert card.custom["tags"] == ["vip"]
    with pytest.raises(ValidationError):
        await contacts.toggle_value(actor, jean.id, "position", "CEO", card.version)
