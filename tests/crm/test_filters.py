"""Contact filters and saved filters (F7) against a real database, alone and with text."""

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm import companies, contacts, customfields, search
from crm.actors import system_actor
from crm.errors import NotFoundError, ValidationError
from crm.search import ContactFilter, parse_filter
from models import Contact, ContactType, SavedFilter, Source, WebForm
from models.enums import Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _new(first: str, last: str = "Test", **data) -> int:
    card = await contacts.create_contact(
        CLI, {"first_name": first, "last_name": last, **data}, allow_duplicate=True
    )
    return card.id


async def _ids(params: dict, query: str = "", actor=CLI, **kwargs) -> list[int]:
    page = await search.search_contacts(actor, query, parse_filter(params), **kwargs)
    return [row.id for row in page.items]


async def _all(cases: dict[str, dict], query: str = "", actor=CLI) -> dict[str, list[int]]:
    return {name: await _ids(params, query, actor) for name, params in cases.items()}


# --- each filter ---------------------------------------------------------------------------


async def test_preset_my_and_responsible_filters(db, make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    mine = await _new("Mine", responsible_id=alice.id)
    bobs = await _new("Bobs", responsible_id=bob.id)
    await _new("Nobodys")
    actor = await actor_of(alice)

    assert await _all(
        {
            "my": {"preset": "my"},
            "all": {"preset": "all"},
            "bob": {"responsible_ids": [bob.id]},
            "both": {"responsible_ids": [str(alice.id), bob.id]},
            "my+bob": {"preset": "my", "responsible_ids": [bob.id]},
        },
        actor=actor,
    ) == {
        "my": [mine],
        "all": [bobs + 1, bobs, mine],
        "bob": [bobs],
        "both": [bobs, mine],
        "my+bob": [],
    }
    # A system actor is nobody's responsible: "my" is empty for it.
    assert await _ids({"preset": "my"}) == []


async def test_type_source_and_company_filters(db):
    client, supplier, _ = await ContactType.all().order_by("sort").values_list("id", flat=True)
    call, mail = (await Source.all().order_by("sort").values_list("id", flat=True))[:2]
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    globex = await companies.create(CLI, "company", {"title": "Globex"})
    a = await _new("A", type_id=client, source_id=call, companies=[acme.id])
    b = await _new("B", type_id=supplier, source_id=mail, companies=[globex.id, acme.id])
    c = await _new("C", type_id=client)

    assert await _all(
        {
            "client": {"type_ids": [client]},
            "client or supplier": {"type_ids": [client, supplier]},
            "call": {"source_ids": [call]},
            "acme": {"company_id": acme.id},
            "globex": {"company_id": str(globex.id)},
            "client at acme": {"type_ids": [client], "company_id": acme.id},
            "no such type": {"type_ids": [999999]},
        }
    ) == {
        "client": [c, a],
        "client or supplier": [c, b, a],
        "call": [a],
        "acme": [b, a],
        "globex": [b],
        "client at acme": [a],
        "no such type": [],
    }


async def test_created_and_updated_ranges(db):
    def at(day: int) -> datetime:
        return datetime(2026, 3, day, 12, 0, tzinfo=UTC)

    ids = [await _new(f"Day{day}") for day in (1, 2, 3)]
    for cid, day in zip(ids, (1, 2, 3), strict=True):
        await Contact.filter(id=cid).update(created_at=at(day), updated_at=at(day + 10))
    d1, d2, d3 = ids

    assert await _all(
        {
            "from day 2": {"created_from": at(2).isoformat()},
            "before day 2": {"created_to": at(2).isoformat()},
            "day 2 only": {
                "created_from": "2026-03-02T00:00:00Z",
                "created_to": "2026-03-03T00:00Z",
            },
            "paris time": {"created_from": "2026-03-02T13:00:00+01:00"},
            "updated from 13": {"updated_from": at(13)},
            "updated before 13": {"updated_to": at(13)},
            "empty range": {"created_from": at(3), "created_to": at(1)},
        }
    ) == {
        "from day 2": [d3, d2],
        "before day 2": [d1],
        "day 2 only": [d2],
        "paris time": [d3, d2],
        "updated from 13": [d3],
        "updated before 13": [d2, d1],
        "empty range": [],
    }


async def test_has_phone_and_has_email_ignore_company_channels(db):
    # A company's own phone and e-mail are channels without a contact: they must not hide
    # every contact from "has no phone".
    await companies.create(
        CLI, "company", {"title": "Acme", "phones": ["01 23 45 67 89"], "emails": ["hq@acme.fr"]}
    )
    both = await _new("Both", phones=["06 12 34 56 78"], emails=["both@example.fr"])
    phone_only = await _new("Phone", phones=["06 12 34 56 79"])
    email_only = await _new("Email", emails=["email@example.fr"])
    neither = await _new("Neither")

    assert await _all(
        {
            "phone": {"has_phone": True},
            "no phone": {"has_phone": False},
            "email": {"has_email": "yes"},
            "no email": {"has_email": "no"},
            "phone, no email": {"has_phone": "1", "has_email": "0"},
            "neither": {"has_phone": False, "has_email": False},
        }
    ) == {
        "phone": [phone_only, both],
        "no phone": [neither, email_only],
        "email": [email_only, both],
        "no email": [neither, phone_only],
        "phone, no email": [phone_only],
        "neither": [neither],
    }


async def test_web_form_and_utm_filters(db):
    form = await WebForm.create(slug="contact-us", title="Contact us")
    other_form = await WebForm.create(slug="quote", title="Quote")
    google = await contacts.create_contact(
        CLI,
        {
            "first_name": "G",
            "last_name": "Test",
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "spring",
        },
        web_form_id=form.id,
        allow_duplicate=True,
    )
    news = await contacts.create_contact(
        CLI,
        {
            "first_name": "N",
            "last_name": "Test",
            "utm_source": "newsletter",
            "utm_medium": "email",
            "utm_campaign": "spring",
        },
        web_form_id=other_form.id,
        allow_duplicate=True,
    )
    await _new("Plain")

    assert await _all(
        {
            "form": {"web_form_id": form.id},
            "other form": {"web_form_id": str(other_form.id)},
            "google": {"utm_source": "google"},
            "spring": {"utm_campaign": " spring "},
            "email medium": {"utm_medium": "email"},
            "spring cpc": {"utm_campaign": "spring", "utm_medium": "cpc"},
            "blank utm is no filter": {"utm_source": "  "},
        }
    ) == {
        "form": [google.id],
        "other form": [news.id],
        "google": [google.id],
        "spring": [news.id, google.id],
        "email medium": [news.id],
        "spring cpc": [google.id],
        "blank utm is no filter": [news.id + 1, news.id, google.id],
    }


async def _custom_fields() -> None:
    for data in (
        {"code": "budget", "label": "Budget", "type": "integer", "in_filter": True},
        {"code": "score", "label": "Score", "type": "decimal", "in_filter": True},
        {"code": "vip", "label": "VIP", "type": "boolean", "in_filter": True},
        {"code": "since", "label": "Since", "type": "date", "in_filter": True},
        {
            "code": "tier",
            "label": "Tier",
            "type": "list",
            "in_filter": True,
            "options": [{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
        },
        {"code": "city", "label": "City", "type": "string", "in_filter": True},
        {"code": "secret", "label": "Secret", "type": "string"},
    ):
        await customfields.create_field(CLI, data)


async def test_custom_fields_marked_for_filters(db):
    await _custom_fields()
    rich = await _new(
        "Rich",
        custom={
            "budget": 1000,
            "score": "12.5",
            "vip": True,
            "since": "2020-01-31",
            "tier": "gold",
            "city": "Lyon",
            "secret": "x",
        },
    )
    poor = await _new(
        "Poor",
        custom={
            "budget": "10",
            "score": "3",
            "vip": False,
            "since": "2021-06-01",
            "tier": "Silver",
            "city": "Paris",
        },
    )
    await _new("Blank")

    assert await _all(
        {
            "budget": {"custom": {"budget": 1000}},
            "budget as text": {"custom": {"budget": " 10 "}},
            "score": {"custom": {"score": "12.50"}},
            "score decimal": {"custom": {"score": Decimal("3.000")}},
            "vip": {"custom": {"vip": "yes"}},
            "not vip": {"custom": {"vip": False}},
            "since": {"custom": {"since": "31/01/2020"}},
            "since date": {"custom": {"since": date(2021, 6, 1)}},
            "tier by label": {"custom": {"tier": "gold"}},
            "tier silver": {"custom": {"tier": "SILVER"}},
            "city": {"custom": {"city": "Lyon"}},
            "two fields": {"custom": {"budget": 1000, "city": "Paris"}},
            "no match": {"custom": {"budget": 5}},
        }
    ) == {
        "budget": [rich],
        "budget as text": [poor],
        "score": [rich],
        "score decimal": [poor],
        "vip": [rich],
        "not vip": [poor],
        "since": [rich],
        "since date": [poor],
        "tier by label": [rich],
        "tier silver": [poor],
        "city": [rich],
        "two fields": [],
        "no match": [],
    }


async def test_custom_fields_not_marked_for_filters_are_refused(db):
    await _custom_fields()
    await _new("Rich", custom={"budget": 1000, "secret": "x"})
    flt = parse_filter(
        {"custom": {"secret": "x", "nope": 1, "budget": "a lot", "since": "someday"}}
    )

    for query in ("", "rich"):
        with pytest.raises(ValidationError) as caught:
            await search.search_contacts(CLI, query, flt)
        assert caught.value.errors == {
            "custom.secret": "is not a filterable field",
            "custom.nope": "is not a filterable field",
            "custom.budget": "must be a whole number",
            "custom.since": "must be a date such as 1990-04-25 or 25/04/1990",
        }


async def test_a_deactivated_custom_field_is_no_longer_a_filter(db):
    await _custom_fields()
    await _new("Rich", custom={"budget": 1000})
    await customfields.CustomField.filter(code="budget").update(is_active=False)

    with pytest.raises(ValidationError) as caught:
        await _ids({"custom": {"budget": 1000}})
    assert caught.value.errors == {"custom.budget": "is not a filterable field"}


# --- text and filters together ------------------------------------------------------------


async def test_text_and_filters_combine(db, monkeypatch):
    client, supplier, _ = await ContactType.all().order_by("sort").values_list("id", flat=True)
    dupont_client = await _new("Jean", "Dupont", type_id=client, phones=["06 12 34 56 78"])
    await _new("Marie", "Dupont", type_id=supplier, phones=["06 12 34 56 79"])
    await _new("Jean", "Martin", type_id=client)

    cases = {"client": {"type_ids": [client]}, "supplier": {"type_ids": [supplier]}}
    assert await _all(cases, "dupont") == {
        "client": [dupont_client],
        "supplier": [dupont_client + 1],
    }
    assert await _all(cases, "0612") == {"client": [dupont_client], "supplier": [dupont_client + 1]}
    assert await _all(cases, "jean dupont") == {"client": [dupont_client], "supplier": []}
    assert await _all(cases, "zzz") == {"client": [], "supplier": []}


async def test_text_and_filter_pages_cover_every_match_once(db, monkeypatch):
    # Small batches make the text-then-filter path go through several batches per page.
    monkeypatch.setattr(search, "FILTER_BATCH", 3)
    client, supplier, _ = await ContactType.all().order_by("sort").values_list("id", flat=True)
    expected = []
    for i in range(14):
        cid = await _new("Page", f"N{i}", type_id=client if i % 3 == 0 else supplier)
        if i % 3 == 0:
            expected.append(cid)
    expected.reverse()
    flt = parse_filter({"type_ids": [client]})

    pages, cursor = [], None
    while True:
        page = await search.search_contacts(CLI, "page", flt, cursor=cursor, limit=2)
        pages.append([row.id for row in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == [expected[0:2], expected[2:4], expected[4:]]
    assert await _ids({"type_ids": [client]}, "page", offset=2, limit=2) == expected[2:4]
    assert await _ids({"type_ids": [client]}, "page", offset=4, limit=2) == expected[4:]


async def test_filters_stay_inside_the_read_scope(db, make_staff):
    alice = await make_staff("Alice", level=Level.OWN)
    bob = await make_staff("Bob", level=Level.OWN)
    mine = await _new("Jean", responsible_id=alice.id, phones=["06 12 34 56 78"])
    await _new("Jean", responsible_id=bob.id, phones=["06 12 34 56 79"])
    actor = await actor_of(alice)

    assert await _all(
        {
            "bob's": {"responsible_ids": [bob.id]},
            "everyone's": {"responsible_ids": [alice.id, bob.id]},
            "with phone": {"has_phone": True},
        },
        "jean",
        actor,
    ) == {"bob's": [], "everyone's": [mine], "with phone": [mine]}
    assert await _ids({"has_phone": True}, actor=actor) == [mine]


# --- parsing -----------------------------------------------------------------------------


def test_bad_filter_values_are_reported_per_field():
    with pytest.raises(ValidationError) as caught:
        parse_filter(
            {
                "preset": "mine",
                "type_ids": ["x"],
                "responsible_ids": "1,2",
                "source_ids": ["²"],
                "company_id": "abc",
                "web_form_id": -1,
                "created_from": "yesterday",
                "updated_to": "2026-01-01",
                "has_phone": "maybe",
                "utm_source": "a\x00b",
                "utm_medium": "m" * 201,
                "custom": "budget",
                "bogus": 1,
            }
        )
    assert caught.value.errors == {
        "preset": "must be 'all' or 'my'",
        "type_ids": "must be a list of ids",
        "responsible_ids": "must be a list of ids",
        "source_ids": "must be a list of ids",
        "company_id": "must be an id",
        "web_form_id": "must be an id",
        "created_from": "must be a date and time such as 2026-05-01T10:00+02:00",
        "updated_to": "must include a time zone (e.g. +02:00 or Z)",
        "has_phone": "must be yes or no",
        "utm_source": "contains a NUL character",
        "utm_medium": "is longer than 200 characters",
        "custom": "must map field codes to values",
        "bogus": "is not a filter",
    }


def test_ids_beyond_the_database_range_are_refused():
    with pytest.raises(ValidationError) as caught:
        parse_filter({"type_ids": [2**31], "company_id": 10**30, "web_form_id": True})
    assert caught.value.errors == {
        "type_ids": "must be a list of ids",
        "company_id": "must be an id",
        "web_form_id": "must be an id",
    }


def test_filters_round_trip_through_their_saved_form():
    flt = parse_filter(
        {
            "preset": "my",
            "type_ids": ["1", 2],
            "company_id": "7",
            "created_from": "2026-03-02T13:00:00+01:00",
            "has_phone": "no",
            "utm_source": " google ",
            "custom": {"budget": 5},
        }
    )
    assert flt == ContactFilter(
        preset="my",
        type_ids=[1, 2],
        company_id=7,
        created_from=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        has_phone=False,
        utm_source="google",
        custom={"budget": 5},
    )
    assert flt.to_params() == {
        "preset": "my",
        "type_ids": [1, 2],
        "company_id": 7,
        "created_from": "2026-03-02T12:00:00+00:00",
        "has_phone": False,
        "utm_source": "google",
        "custom": {"budget": 5},
    }
    assert parse_filter(flt.to_params()) == flt
    assert parse_filter(None) == ContactFilter() and ContactFilter().is_empty()
    assert parse_filter({"preset": None, "has_phone": "", "company_id": None}).is_empty()
    assert not ContactFilter(preset="my").is_empty()


def test_every_filter_is_parsed_from_its_saved_form():
    when = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    flt = ContactFilter(
        preset="my",
        type_ids=[3, 1],
        responsible_ids=[2],
        source_ids=[4, 5],
        company_id=7,
        created_from=when,
        created_to=when,
        updated_from=when,
        updated_to=when,
        has_phone=True,
        has_email=False,
        web_form_id=9,
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
        custom={"budget": "5"},
    )
    unset = ContactFilter()
    assert all(getattr(flt, f.name) != getattr(unset, f.name) for f in fields(ContactFilter))
    assert parse_filter(flt.to_params()) == flt
    assert parse_filter({"type_ids": "3", "has_email": "yes"}) == ContactFilter(
        type_ids=[3], has_email=True
    )


async def test_a_bad_filter_is_reported_even_with_text_that_finds_nothing(db):
    await _custom_fields()
    for query in ("zzz", "😀", "0612"):
        with pytest.raises(ValidationError) as caught:
            await search.search_contacts(CLI, query, ContactFilter(custom={"secret": "x"}))
        assert caught.value.errors == {"custom.secret": "is not a filterable field"}


# --- saved filters ------------------------------------------------------------------------


async def test_saved_filters_belong_to_their_staff_member(db, make_staff):
    alice = await actor_of(await make_staff("Alice"))
    bob = await actor_of(await make_staff("Bob"))
    client = (await ContactType.all().order_by("sort").values_list("id", flat=True))[0]

    saved = await search.save_filter(
        alice, "  My   clients ", {"preset": "my", "type_ids": [client]}
    )
    await search.save_filter(alice, "Phones", {"has_phone": True})
    await search.save_filter(bob, "My clients", {"type_ids": [client]})

    assert saved.name == "My clients"
    assert [f.name for f in await search.list_filters(alice)] == ["My clients", "Phones"]
    assert [f.name for f in await search.list_filters(bob)] == ["My clients"]
    assert await search.load_filter(alice, saved.id) == ContactFilter(
        preset="my", type_ids=[client]
    )
    with pytest.raises(NotFoundError):
        await search.load_filter(bob, saved.id)
    with pytest.raises(NotFoundError):
        await search.delete_filter(bob, saved.id)
    with pytest.raises(NotFoundError):
        await search.load_filter(CLI, saved.id)

    # Saving under the same name replaces the filter.
    again = await search.save_filter(alice, "My clients", {"has_email": False})
    assert again.id == saved.id
    assert await search.load_filter(alice, saved.id) == ContactFilter(has_email=False)

    await search.delete_filter(alice, saved.id)
    assert [f.name for f in await search.list_filters(alice)] == ["Phones"]
    with pytest.raises(NotFoundError):
        await search.load_filter(alice, saved.id)
    assert await SavedFilter.all().count() == 2


async def test_saving_a_bad_filter_saves_nothing(db, make_staff):
    await _custom_fields()
    alice = await actor_of(await make_staff("Alice"))

    cases = [
        ("Bad", {"has_phone": "maybe"}, {"has_phone": "must be yes or no"}),
        ("Secret", {"custom": {"secret": "x"}}, {"custom.secret": "is not a filterable field"}),
        ("   ", {"has_phone": True}, {"name": "is required"}),
    ]
    for name, params, errors in cases:
        with pytest.raises(ValidationError) as caught:
            await search.save_filter(alice, name, params)
        assert caught.value.errors == errors
    with pytest.raises(ValidationError) as caught:
        await search.save_filter(CLI, "Mine", {})
    assert caught.value.errors == {"name": "only staff members have saved filters"}
    assert await SavedFilter.all().count() == 0


async def test_a_saved_filter_finds_what_the_filter_finds(db, make_staff):
    alice_staff = await make_staff("Alice")
    alice = await actor_of(alice_staff)
    mine = await _new("Mine", responsible_id=alice_staff.id, phones=["06 12 34 56 78"])
    await _new("Other", phones=["06 12 34 56 79"])
    saved = await search.save_filter(
        alice,
        "Mine recent",
        {"preset": "my", "created_from": datetime.now(UTC) - timedelta(days=1)},
    )

    flt = await search.load_filter(alice, saved.id)
    page = await search.search_contacts(alice, "0612", flt)
    assert [row.id for row in page.items] == [mine]
