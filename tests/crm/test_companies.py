"""Companies, deals and quotes (F13): validation, permissions, history, and search effects."""

from datetime import date
from decimal import Decimal

import pytest

from crm import companies, contacts, search
from crm.actors import system_actor
from crm.errors import NotFoundError, PermissionDeniedError, StaleEditError, ValidationError
from models import Channel, Company, Deal, HistoryEntry, Quote
from models.enums import HistoryKind, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _history(
    entity: str, entity_id: int
) -> list[tuple[str, str | None, str | None, str | None]]:
    rows = await HistoryEntry.filter(entity=entity, entity_id=entity_id).order_by("id")
    return [(str(r.kind.value), r.field, r.before, r.after) for r in rows]


async def _found(query: str) -> list[int]:
    return [row.id for row in (await search.search_contacts(CLI, query)).items]


async def test_it_creates_a_company_with_channels_and_history(db, make_staff):
    staff = await make_staff("Marie")
    company = await companies.create(
        await actor_of(staff),
        "company",
        {
            "title": "  Acme   Corp ",
            "industry": "Retail",
            "phones": ["01 42 68 53 00"],
            "emails": ["Hello@Acme.fr"],
            "websites": ["acme.fr"],
        },
    )
    assert (company.title, company.industry, company.responsible_id) == (
        "Acme Corp",
        "Retail",
        staff.id,
    )
    assert company.title_key == "acme corp"
    channels = await Channel.filter(company_id=company.pk).order_by("kind", "sort")
    # One primary per kind, as on contacts.
    assert [(c.kind.value, c.normalized, c.is_primary) for c in channels] == [
        ("email", "hello@acme.fr", True),
        ("phone", "+33142685300", True),
        ("web", "https://acme.fr", True),
    ]
    assert await _history("company", company.pk) == [("created", None, None, "Acme Corp")]
    entry = await HistoryEntry.get(entity="company", entity_id=company.pk)
    assert (entry.actor_label, entry.actor_staff_id) == ("Marie", staff.id)


async def test_it_reports_bad_company_fields_at_once_and_writes_nothing(db):
    with pytest.raises(ValidationError) as caught:
        await companies.create(
            CLI,
            "company",
            {"title": " ", "responsible_id": 9999, "size": 3, "phones": ["12"], "opened": "?"},
        )
    assert caught.value.errors == {
        "title": "is required",
        "responsible_id": "is not active staff",
        "size": "is not a company field",
        "phones": "is not a valid phone number",
        "opened": "must be yes or no",
    }
    assert await Company.all().count() == 0
    assert await HistoryEntry.all().count() == 0


async def test_it_creates_deals_and_quotes_with_typed_values(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    deal = await companies.create(
        CLI,
        "deal",
        {
            "title": "Big deal",
            "amount": "1 500,555",
            "currency": "usd",
            "close_date": "31/12/2026",
            "company_id": acme.pk,
        },
    )
    stored = await Deal.get(id=deal.pk)
    assert (stored.amount, stored.currency, stored.close_date, stored.company_id) == (
        Decimal("1500.56"),
        "USD",
        date(2026, 12, 31),
        acme.pk,
    )
    quote = await companies.create(
        CLI, "quote", {"title": "Q-1", "status": "sent", "deal_id": deal.pk, "amount": 10}
    )
    stored_quote = await Quote.get(id=quote.pk)
    assert (stored_quote.status, stored_quote.amount, stored_quote.deal_id) == (
        "sent",
        Decimal("10.00"),
        deal.pk,
    )
    with pytest.raises(ValidationError) as caught:
        await companies.create(
            CLI, "deal", {"title": "X", "currency": "euro", "amount": "lots", "company_id": 999}
        )
    assert caught.value.errors == {
        "currency": "must be a three-letter currency code such as EUR",
        "amount": "must be a number such as 12.50",
        "company_id": "does not exist",
    }


async def test_it_refuses_references_to_deleted_records_and_inactive_staff(db, make_staff):
    gone = await make_staff("Gone", active=False)
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    await companies.delete(CLI, "company", acme.pk)
    with pytest.raises(ValidationError) as caught:
        await companies.create(
            CLI, "deal", {"title": "D", "company_id": acme.pk, "responsible_id": gone.id}
        )
    assert caught.value.errors == {
        "company_id": "does not exist",
        "responsible_id": "is not active staff",
    }


async def test_it_updates_with_history_and_refuses_a_stale_edit(db):
    deal = await companies.create(CLI, "deal", {"title": "D", "amount": "10"})
    updated = await companies.update(
        CLI, "deal", deal.pk, {"amount": "12.5", "stage": "won", "title": "D"}, deal.version
    )
    assert (updated.amount, updated.stage, updated.version) == (Decimal("12.50"), "won", 2)
    assert (await _history("deal", deal.pk))[1:] == [
        ("changed", "amount", "10", "12.5"),
        ("changed", "stage", "new", "won"),
    ]
    with pytest.raises(StaleEditError) as caught:
        await companies.update(CLI, "deal", deal.pk, {"stage": "lost"}, deal.version)
    assert caught.value.current_version == 2
    assert (await Deal.get(id=deal.pk)).stage == "won"
    # A stale edit is refused even when it would change nothing.
    with pytest.raises(StaleEditError):
        await companies.update(CLI, "deal", deal.pk, {"stage": "won"}, deal.version)
    same = await companies.update(CLI, "deal", deal.pk, {"stage": "won"}, 2)
    assert same.version == 2
    assert len(await _history("deal", deal.pk)) == 3


async def test_it_replaces_company_channels_on_update(db):
    acme = await companies.create(CLI, "company", {"title": "Acme", "phones": ["0142685300"]})
    updated = await companies.update(
        CLI, "company", acme.pk, {"phones": ["+33 6 12 34 56 78"], "emails": ["a@acme.fr"]}, 1
    )
    assert updated.version == 2
    channels = await Channel.filter(company_id=acme.pk).order_by("kind", "sort")
    assert [(c.kind.value, c.value, c.is_primary) for c in channels] == [
        ("email", "a@acme.fr", True),
        ("phone", "+33 6 12 34 56 78", True),
    ]
    assert (await _history("company", acme.pk))[1:] == [
        ("changed", "phones", "0142685300 (WORK)", "+33 6 12 34 56 78 (WORK)"),
        ("changed", "emails", None, "a@acme.fr (WORK)"),
    ]


async def test_renaming_a_company_makes_its_contacts_findable_by_the_new_title(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    card = await contacts.create_contact(CLI, {"first_name": "Ann", "companies": [acme.pk]})
    assert await _found("acme") == [card.id]
    await companies.update(CLI, "company", acme.pk, {"title": "Globex Énergie"}, acme.version)
    assert await _found("acme") == []
    assert await _found("energie") == [card.id]
    assert (await contacts.get_contact(CLI, card.id)).companies[0].title == "Globex Énergie"
    assert [c.id for c in await search.search_companies(CLI, "ener")] == [acme.pk]
    assert (await _history("company", acme.pk))[1:] == [
        ("changed", "title", "Acme", "Globex Énergie")
    ]


async def test_deleting_a_company_hides_it_from_cards_and_search(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    card = await contacts.create_contact(CLI, {"first_name": "Ann", "companies": [acme.pk]})
    await companies.delete(CLI, "company", acme.pk)
    assert await _found("acme") == []
    assert (await contacts.get_contact(CLI, card.id)).companies == []
    assert (await contacts.dependencies(CLI, card.id)).companies == []
    assert [h[0] for h in await _history("company", acme.pk)] == ["created", "deleted"]
    with pytest.raises(NotFoundError):
        await companies.get(CLI, "company", acme.pk)
    with pytest.raises(NotFoundError):
        await companies.delete(CLI, "company", acme.pk)
    with pytest.raises(NotFoundError):
        await companies.update(CLI, "company", acme.pk, {"title": "B"}, 2)


async def test_staff_see_and_change_only_what_their_levels_allow(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    mine = await companies.create(CLI, "company", {"title": "Mine", "responsible_id": me.id})
    theirs = await companies.create(CLI, "company", {"title": "Theirs", "responsible_id": other.id})
    opened = await companies.create(
        CLI, "deal", {"title": "Open", "responsible_id": other.id, "opened": True}
    )
    actor = await actor_of(me)
    assert [c.pk for c in await companies.list_records(actor, "company")] == [mine.pk]
    assert (await companies.get(actor, "company", mine.pk)).title == "Mine"
    with pytest.raises(NotFoundError, match=f"company #{theirs.pk} does not exist"):
        await companies.get(actor, "company", theirs.pk)  # as for an id that does not exist
    with pytest.raises(NotFoundError):
        await companies.update(actor, "company", theirs.pk, {"title": "X"}, 1)
    with pytest.raises(NotFoundError):
        await companies.delete(actor, "company", theirs.pk)
    with pytest.raises(PermissionDeniedError):
        await companies.create(actor, "company", {"title": "X", "responsible_id": other.id})
    with pytest.raises(NotFoundError):
        await companies.get(actor, "deal", opened.pk)
    assert (await Company.get(id=theirs.pk)).title == "Theirs"


async def test_list_records_pages_newest_first(db):
    ids = [(await companies.create(CLI, "quote", {"title": f"Q{i}"})).pk for i in range(5)]
    first = await companies.list_records(CLI, "quote", limit=3)
    assert [q.pk for q in first] == ids[::-1][:3]
    second = await companies.list_records(CLI, "quote", limit=3, cursor=first[-1].pk)
    assert [q.pk for q in second] == ids[::-1][3:]


async def test_a_contact_links_deals_and_quotes_and_unlinks_them(db):
    card = await contacts.create_contact(CLI, {"first_name": "Ann"})
    deal = await companies.create(CLI, "deal", {"title": "D"})
    quote = await companies.create(CLI, "quote", {"title": "Q"})
    await contacts.link(CLI, card.id, "deal", deal.pk)
    await contacts.link(CLI, card.id, "quote", quote.pk)
    deps = await contacts.dependencies(CLI, card.id)
    assert ([d.pk for d in deps.deals], [q.pk for q in deps.quotes]) == ([deal.pk], [quote.pk])
    await contacts.unlink(CLI, card.id, "deal", deal.pk)
    deps = await contacts.dependencies(CLI, card.id)
    assert (deps.deals, [q.pk for q in deps.quotes]) == ([], [quote.pk])
    kinds = await HistoryEntry.filter(entity="contact", entity_id=card.id).values_list(
        "kind", "field"
    )
    assert kinds == [
        (HistoryKind.CREATED, None),
        (HistoryKind.LINKED, "deal"),
        (HistoryKind.LINKED, "quote"),
        (HistoryKind.UNLINKED, "deal"),
    ]


async def test_a_company_or_deal_the_actor_may_not_read_is_refused_as_if_it_did_not_exist(
    db, make_staff
):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    actor = await actor_of(me)
    theirs = await companies.create(CLI, "company", {"title": "Theirs", "responsible_id": other.id})
    their_deal = await companies.create(CLI, "deal", {"title": "T", "responsible_id": other.id})
    mine = await companies.create(actor, "company", {"title": "Mine"})
    my_deal = await companies.create(actor, "deal", {"title": "D", "company_id": mine.pk})
    my_quote = await companies.create(actor, "quote", {"title": "Q", "deal_id": my_deal.pk})
    missing = 999_999

    # The same answer for an id that exists but is hidden and for one that does not exist:
    # anything else would tell which ids exist.
    for reference in (theirs.pk, missing):
        with pytest.raises(ValidationError) as on_create:
            await companies.create(actor, "deal", {"title": "X", "company_id": reference})
        assert on_create.value.errors == {"company_id": "does not exist"}
        with pytest.raises(ValidationError) as on_update:
            await companies.update(actor, "deal", my_deal.pk, {"company_id": reference}, 1)
        assert on_update.value.errors == {"company_id": "does not exist"}
    for reference in (their_deal.pk, missing):
        with pytest.raises(ValidationError) as on_create:
            await companies.create(actor, "quote", {"title": "X", "deal_id": reference})
        assert on_create.value.errors == {"deal_id": "does not exist"}
        with pytest.raises(ValidationError) as on_update:
            await companies.update(actor, "quote", my_quote.pk, {"deal_id": reference}, 1)
        assert on_update.value.errors == {"deal_id": "does not exist"}

    assert (await Deal.get(id=my_deal.pk)).company_id == mine.pk
    assert (await Quote.get(id=my_quote.pk)).deal_id == my_deal.pk
    assert await Deal.all().count() == 2 and await Quote.all().count() == 1


# --- finding link targets by title ----------------------------------------------------------


async def test_deals_are_found_by_title_among_readable_live_deals(db, make_staff):
    alice = await make_staff("Alice")
    other = await make_staff("Other", level=Level.OWN)
    actor = await actor_of(alice)
    mine = await actor_of(other)
    big = await companies.create(mine, "deal", {"title": "Énorme contrat"})
    await companies.create(mine, "deal", {"title": "Petit contrat"})
    gone = await companies.create(mine, "deal", {"title": "Énorme erreur"})
    await companies.delete(mine, "deal", gone.pk)
    await companies.create(actor, "deal", {"title": "Énorme secret"})
    found = await companies.search_deals(mine, "ENORME")
    assert [d.id for d in found] == [big.pk]
    assert await companies.search_deals(mine, "  ") == []


async def test_link_targets_are_companies_and_deals(db, make_staff):
    actor = await actor_of(await make_staff("Alice"))
    acme = await companies.create(actor, "company", {"title": "Acme"})
    deal = await companies.create(actor, "deal", {"title": "Acme renewal"})
    found = await companies.find_link_targets(actor, "acme")
    assert [c.id for c in found.companies] == [acme.pk]
    assert [d.id for d in found.deals] == [deal.pk]
    empty = await companies.find_link_targets(actor, "")
    assert (empty.companies, empty.deals) == ([], [])
