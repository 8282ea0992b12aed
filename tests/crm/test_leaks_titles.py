"""Companies and deals a reader may not read never reach them through contacts they may read:
not in search rows, not as a search match, not in history, not as a working filter (issue 11,
leaks 2, 3 and 5)."""

from dataclasses import dataclass

from crm import companies, contacts, history, search
from crm.actors import Actor, system_actor
from crm.search import parse_filter
from models import Department, Staff
from models.enums import Level
from tests.conftest import actor_of

CLI = system_actor("cli")


@dataclass
class World:
    reader: Actor  # department-level read in Sales
    colleague: Staff  # in Sales: the reader sees what they are responsible for
    contact_id: int  # the colleague's contact, linked to both companies below
    visible_id: int  # the colleague's company "Open Harbour"
    hidden_id: int  # another department's company "Zephyr Secret Holdings"


async def _world(make_staff) -> World:
    sales = await Department.create(name="Sales")
    legal = await Department.create(name="Legal")
    reader = await make_staff("Reader", level=Level.DEPARTMENT, departments=[sales.id])
    colleague = await make_staff("Colleague", level=Level.OWN, departments=[sales.id])
    lawyer = await make_staff("Lawyer", level=Level.OWN, departments=[legal.id])
    hidden = await companies.create(
        CLI, "company", {"title": "Zephyr Secret Holdings", "responsible_id": lawyer.id}
    )
    visible = await companies.create(
        CLI, "company", {"title": "Open Harbour", "responsible_id": colleague.id}
    )
    card = await contacts.create_contact(
        CLI, {"first_name": "Ann", "last_name": "Martin", "responsible_id": colleague.id}
    )
    # The hidden company first: it is the primary one.
    await contacts.link(CLI, card.id, "company", hidden.pk)
    await contacts.link(CLI, card.id, "company", visible.pk)
    return World(await actor_of(reader), colleague, card.id, visible.pk, hidden.pk)


# --- leak 2: search rows and search words -------------------------------------------------


async def test_a_result_row_never_shows_a_company_the_reader_may_not_read(db, make_staff):
    world = await _world(make_staff)

    page = await search.search_contacts(world.reader, "ann")

    assert [(row.id, row.company) for row in page.items] == [(world.contact_id, "Open Harbour")]
    admin_page = await search.search_contacts(CLI, "ann")
    assert [row.company for row in admin_page.items] == ["Zephyr Secret Holdings"]


async def test_a_row_shows_no_company_when_the_reader_may_read_none_of_them(db, make_staff):
    world = await _world(make_staff)
    await contacts.unlink(CLI, world.contact_id, "company", world.visible_id)

    page = await search.search_contacts(world.reader, "martin")

    assert [(row.id, row.company) for row in page.items] == [(world.contact_id, None)]


async def test_words_of_a_company_the_reader_may_not_read_find_nothing(db, make_staff):
    world = await _world(make_staff)

    for query in ("zephyr", "secret hold", "ann zephyr", "zeph martin"):
        page = await search.search_contacts(world.reader, query)
        assert page.items == [], query
        assert (await search.search_contacts(CLI, query)).items != [], query
    # The readable company's words and the contact's own words still find it.
    for query in ("harbour", "ann open", "martin"):
        page = await search.search_contacts(world.reader, query)
        assert [row.id for row in page.items] == [world.contact_id], query


async def test_a_word_in_both_a_hidden_title_and_the_contacts_own_words_still_matches(
    db, make_staff
):
    world = await _world(make_staff)
    card = await contacts.create_contact(
        CLI,
        {"first_name": "Zephyrin", "last_name": "Roux", "responsible_id": world.colleague.id},
    )
    await contacts.link(CLI, card.id, "company", world.hidden_id)

    page = await search.search_contacts(world.reader, "zephyr")

    assert [row.id for row in page.items] == [card.id]


async def test_hidden_company_matches_do_not_shorten_or_end_a_page_early(db, make_staff):
    world = await _world(make_staff)
    visible = []
    for i in range(5):
        card = await contacts.create_contact(
            CLI,
            {
                "first_name": f"Zephyrine{i}",
                "last_name": "Roux",
                "responsible_id": world.colleague.id,
            },
        )
        visible.append(card.id)
    for i in range(5):  # newer contacts that match "zephyr" only through the hidden company
        card = await contacts.create_contact(
            CLI,
            {"first_name": f"Bob{i}", "last_name": "Blanc", "responsible_id": world.colleague.id},
        )
        await contacts.link(CLI, card.id, "company", world.hidden_id)

    first = await search.search_contacts(world.reader, "zephyr", limit=3)
    second = await search.search_contacts(world.reader, "zephyr", cursor=first.next_cursor, limit=3)

    assert [row.id for row in first.items] == visible[::-1][:3]
    assert [row.id for row in second.items] == visible[::-1][3:]
    assert second.next_cursor is None


# --- leak 5: the company filter -------------------------------------------------------------


async def test_filtering_by_a_company_the_reader_may_not_read_finds_what_a_missing_one_does(
    db, make_staff
):
    world = await _world(make_staff)
    missing = world.hidden_id + world.visible_id + 1000

    async def found(company_id: int, query: str = "") -> list[int]:
        flt = parse_filter({"company_id": company_id})
        page = await search.search_contacts(world.reader, query, flt)
        return [row.id for row in page.items]

    assert await found(missing) == []
    assert await found(world.hidden_id) == []
    assert await found(world.hidden_id, "ann") == []
    assert await found(world.visible_id) == [world.contact_id]
    admin = await search.search_contacts(CLI, "", parse_filter({"company_id": world.hidden_id}))
    assert [row.id for row in admin.items] == [world.contact_id]


# --- leak 3: history ---------------------------------------------------------------------------


def _texts(page: history.HistoryPage) -> str:
    return " ".join(f"{e.field} {e.before} {e.after}" for e in page.entries)


async def test_history_names_no_company_or_deal_the_reader_may_not_read(db, make_staff):
    world = await _world(make_staff)
    lawyer_id = (await Staff.get(name="Lawyer")).id
    deal = await companies.create(
        CLI, "deal", {"title": "Project Nightjar", "responsible_id": lawyer_id}
    )
    await contacts.link(CLI, world.contact_id, "deal", deal.pk)
    await contacts.link(CLI, world.contact_id, "company", world.visible_id, primary=True)
    await contacts.link(CLI, world.contact_id, "company", world.hidden_id, primary=True)
    await contacts.unlink(CLI, world.contact_id, "deal", deal.pk)
    await contacts.unlink(CLI, world.contact_id, "company", world.hidden_id)

    page = await history.contact_history(world.reader, world.contact_id, per_page=100)

    shown = _texts(page)
    for secret in ("Zephyr", "Nightjar", f"#{world.hidden_id})", f"#{deal.pk})"):
        assert secret not in shown
    assert "Open Harbour" in shown
    hidden = [e for e in page.entries if e.hidden_before or e.hidden_after]
    # linked and unlinked: the company and the deal; twice a primary switch naming it.
    assert sorted((e.kind.value, e.field) for e in hidden) == [
        ("changed", "primary_company"),
        ("changed", "primary_company"),
        ("linked", "company"),
        ("linked", "deal"),
        ("unlinked", "company"),
        ("unlinked", "deal"),
    ]
    everything = _texts(await history.contact_history(CLI, world.contact_id, per_page=100))
    assert "Zephyr Secret Holdings" in everything
    assert "Project Nightjar" in everything


async def test_history_of_a_companies_edit_hides_the_ids_the_reader_may_not_read(db, make_staff):
    world = await _world(make_staff)
    card = await contacts.get_contact(CLI, world.contact_id)
    await contacts.update_contact(
        CLI, world.contact_id, {"companies": [world.visible_id]}, card.version
    )

    page = await history.contact_history(world.reader, world.contact_id, per_page=100)

    (entry,) = [e for e in page.entries if e.field == "companies"]
    assert str(world.hidden_id) not in f"{entry.before} {entry.after}"
    assert entry.hidden_before and not entry.hidden_after
    assert entry.after == str(world.visible_id)


async def test_unlinking_a_company_the_reader_may_not_read_is_as_for_one_never_linked(
    db, make_staff
):
    world = await _world(make_staff)
    colleague = await actor_of(world.colleague)  # may edit the contact, may not read the company
    missing = world.hidden_id + world.visible_id + 1000

    await contacts.unlink(colleague, world.contact_id, "company", missing)
    await contacts.unlink(colleague, world.contact_id, "company", world.hidden_id)

    entries = (await history.contact_history(CLI, world.contact_id, per_page=100)).entries
    assert "unlinked" not in [e.kind.value for e in entries]
    card = await contacts.get_contact(CLI, world.contact_id)
    assert {c.company_id for c in card.companies} == {world.hidden_id, world.visible_id}
