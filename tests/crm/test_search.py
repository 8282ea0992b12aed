"""Text search (F7) against a real database: names, phones, e-mails, companies, hostile input,
pagination and read scope. The same expectations hold on SQLite (FTS5) and PostgreSQL
(tsvector + pg_trgm)."""

import pytest

from crm import companies, contacts, merge, search
from crm.actors import system_actor
from crm.errors import ValidationError
from models import Contact, ContactObserver
from models.enums import Level
from tests.conftest import actor_of

CLI = system_actor("cli")
OFFSET_ERROR = "must be between 0 and 10,000; use the cursor to go further"


async def _new(
    first: str | None = None,
    last: str | None = None,
    *,
    phones: list[str] | None = None,
    emails: list[str] | None = None,
    company_ids: list[int] | None = None,
    **extra,
) -> int:
    data = {"first_name": first, "last_name": last, **extra}
    if phones:
        data["phones"] = phones
    if emails:
        data["emails"] = emails
    if company_ids:
        data["companies"] = company_ids
    card = await contacts.create_contact(CLI, data, allow_duplicate=True)
    return card.id


async def _ids(query: str, actor=CLI, **kwargs) -> list[int]:
    page = await search.search_contacts(actor, query, **kwargs)
    return [row.id for row in page.items]


async def _results(queries: list[str], actor=CLI) -> dict[str, list[int]]:
    return {q: await _ids(q, actor) for q in queries}


# --- names ---------------------------------------------------------------------------------


async def test_it_finds_names_by_any_word_prefix_ignoring_accents_and_case(db):
    jose = await _new("José", "Álvarez")
    joanna = await _new("Joanna", "Smith")
    ann = await _new("Ann", "Lee")
    annabel = await _new("Annabel", "Ortiz-García")

    assert await _results(
        [
            "jos",
            "JOSÉ",
            "jose",
            "ALVAREZ",
            "álv",
            "Alv",
            "ann",
            "anna",
            "joan",
            "smi",
            "garc",
            "GARCÍA",
            "ortiz",
            "lee",
        ]
    ) == {
        "jos": [jose],
        "JOSÉ": [jose],
        "jose": [jose],
        "ALVAREZ": [jose],
        "álv": [jose],
        "Alv": [jose],
        "ann": [annabel, ann],
        "anna": [annabel],
        "joan": [joanna],
        "smi": [joanna],
        "garc": [annabel],
        "GARCÍA": [annabel],
        "ortiz": [annabel],
        "lee": [ann],
    }


async def test_it_does_not_match_inside_a_word(db):
    await _new("Joanna", "Smith")
    await _new("Bernard", "Durand")

    assert await _results(["anna", "ith", "oan", "nard", "rand"]) == {
        "anna": [],
        "ith": [],
        "oan": [],
        "nard": [],
        "rand": [],
    }


async def test_it_finds_cyrillic_and_greek_names(db):
    ivan = await _new("Иван", "Петров")
    pyotr = await _new("Пётр", "Сидоров")
    nikos = await _new("Νίκος", "Παπαδόπουλος")
    latin = await _new("Peter", "Petrov")

    assert await _results(
        [
            "петр",
            "ПЕТРОВ",
            "пётр",
            "ПЁТР",
            "сид",
            "ива петр",
            "νικ",
            "ΝΊΚΟΣ",
            "νικος",
            "ΠΑΠΑΔ",
            "παπαδοπουλος",
            "petr",
        ]
    ) == {
        "петр": [pyotr, ivan],
        "ПЕТРОВ": [ivan],
        "пётр": [pyotr, ivan],
        "ПЁТР": [pyotr, ivan],
        "сид": [pyotr],
        "ива петр": [ivan],
        "νικ": [nikos],
        "ΝΊΚΟΣ": [nikos],
        "νικος": [nikos],
        "ΠΑΠΑΔ": [nikos],
        "παπαδοπουλος": [nikos],
        "petr": [latin],
    }


async def test_several_words_must_all_match(db):
    jean_dupont = await _new("Jean", "Dupont")
    jean_martin = await _new("Jean", "Martin")
    marie_dupont = await _new("Marie", "Dupont")

    assert await _results(
        ["jean", "jean dup", "DUP JEAN", "jean  dupont", "jean xyz", "dupont"]
    ) == {
        "jean": [jean_martin, jean_dupont],
        "jean dup": [jean_dupont],
        "DUP JEAN": [jean_dupont],
        "jean  dupont": [jean_dupont],
        "jean xyz": [],
        "dupont": [marie_dupont, jean_dupont],
    }


async def test_a_query_with_no_match_returns_nothing(db):
    await _new("Jean", "Dupont", phones=["06 12 34 56 78"], emails=["jean@acme.fr"])

    page = await search.search_contacts(CLI, "zzyzx")
    assert (page.items, page.next_cursor) == ([], None)
    assert await _ids("9999") == []


# --- e-mails and companies -----------------------------------------------------------------


async def test_it_finds_e_mails_by_prefix_and_parts(db):
    jean = await _new("Jean", "Dupont", emails=["Jean.Dupont@Acme-Industries.fr"])
    other = await _new("Paul", "Roux", emails=["paul@example.com"])

    assert await _results(
        [
            "jean.dup",
            "jean.dupont@",
            "jean.dupont@acme-industries.fr",
            "acme",
            "industries",
            "indus",
            "example",
            "paul@ex",
            "dupont@example",
        ]
    ) == {
        "jean.dup": [jean],
        "jean.dupont@": [jean],
        "jean.dupont@acme-industries.fr": [jean],
        "acme": [jean],
        "industries": [jean],
        "indus": [jean],
        "example": [other],
        "paul@ex": [other],
        "dupont@example": [],
    }


async def test_it_finds_contacts_by_company_title_words(db):
    societe = await companies.create(CLI, "company", {"title": "Société Générale des Eaux"})
    ivanov = await companies.create(CLI, "company", {"title": "ООО Ромашка"})
    alice = await _new("Alice", "Moreau", company_ids=[societe.id])
    boris = await _new("Boris", "Kuznetsov", company_ids=[ivanov.id])
    await _new("Carl", "Unlinked")

    assert await _results(
        ["generale", "SOCIÉTÉ", "eaux", "soc gen", "ромашк", "alice soc", "boris soc"]
    ) == {
        "generale": [alice],
        "SOCIÉTÉ": [alice],
        "eaux": [alice],
        "soc gen": [alice],
        "ромашк": [boris],
        "alice soc": [alice],
        "boris soc": [],
    }
    row = (await search.search_contacts(CLI, "alice")).items[0]
    assert (row.name, row.company) == ("Alice Moreau", "Société Générale des Eaux")

    await companies.delete(CLI, "company", societe.id)
    assert await _results(["generale", "alice"]) == {"generale": [], "alice": [alice]}
    row = (await search.search_contacts(CLI, "alice")).items[0]
    assert (row.name, row.company) == ("Alice Moreau", None)


async def test_company_search_finds_word_prefixes_the_actor_may_read(db, make_staff):
    alice = await make_staff("Alice", level=Level.OWN)
    mine = await companies.create(
        CLI, "company", {"title": "Générale Alpha", "responsible_id": alice.id}
    )
    theirs = await companies.create(CLI, "company", {"title": "Generale Beta"})
    gone = await companies.create(CLI, "company", {"title": "Generale Gamma"})
    await companies.delete(CLI, "company", gone.id)

    async def found(actor, query: str) -> list[int]:
        return [c.id for c in await search.search_companies(actor, query)]

    assert await found(CLI, "gén") == [mine.id, theirs.id]
    assert await found(CLI, "beta") == [theirs.id]
    assert await found(CLI, "generale b") == [theirs.id]
    assert await found(CLI, "ener") == []
    assert await found(CLI, "") == [mine.id, theirs.id]
    assert await found(CLI, "%") == []
    assert await found(await actor_of(alice), "gen") == [mine.id]


# --- phones --------------------------------------------------------------------------------


async def test_it_finds_phones_typed_in_any_format(db):
    paris_mobile = await _new("Mobile", "Paris", phones=["06 12 34 56 78"])
    paris_office = await _new("Office", "Paris", phones=["+33 1 98 76 54 32"])
    moscow = await _new("Ivan", "Moscou", phones=["+7 916 123-45-67"])
    typed_00 = await _new("Zero", "Zero", phones=["0033 6 99 88 77 66"])

    assert await _results(
        [
            "0612",
            "12 34 56",
            "+33 6 12 34 56 78",
            "0033 6 12",
            "06.12.34.56.78",
            "(06) 12-34",
            "33612345678",
            "5432",
            "98 76",
            "+33 1 98",
            "9161234567",
            "8 916 123",
            "+7 916",
            "1234",
            "4567",
            "06 99 88",
            "+33 6 99 88 77 66",
            "0000",
            "٠٦١٢",
            "０６ １２",
        ]
    ) == {
        "0612": [paris_mobile],
        "12 34 56": [moscow, paris_mobile],
        "+33 6 12 34 56 78": [paris_mobile],
        "0033 6 12": [paris_mobile],
        "06.12.34.56.78": [paris_mobile],
        "(06) 12-34": [paris_mobile],
        "33612345678": [paris_mobile],
        "5432": [paris_office],
        "98 76": [paris_office],
        "+33 1 98": [paris_office],
        "9161234567": [moscow],
        "8 916 123": [moscow],  # the number's own national form (RU trunk prefix 8)
        "+7 916": [moscow],
        "1234": [moscow, paris_mobile],
        "4567": [moscow, paris_mobile],
        "06 99 88": [typed_00],
        "+33 6 99 88 77 66": [typed_00],
        "0000": [],
        "٠٦١٢": [paris_mobile],  # Eastern Arabic digits
        "０６ １２": [paris_mobile],  # full-width digits
    }


async def test_fewer_than_four_digits_is_not_a_phone_search(db):
    await _new("Mobile", "Paris", phones=["06 12 34 56 78"])
    await _new("Other", "Paris", phones=["01 23 45 67 89"])

    assert await _results(["061", "06 1", "612", "+33", "345"]) == {
        "061": [],
        "06 1": [],
        "612": [],
        "+33": [],
        "345": [],
    }


async def test_it_combines_a_name_and_a_digit_run(db):
    jean_mobile = await _new("Jean", "Mobile", phones=["06 12 34 56 78"])
    await _new("Jean", "Office", phones=["01 98 76 54 32"])
    await _new("Paul", "Mobile", phones=["06 12 34 99 99"])

    assert await _results(["jean 0612", "0612 jean", "jean 5678", "paul 5678"]) == {
        "jean 0612": [jean_mobile],
        "0612 jean": [jean_mobile],
        "jean 5678": [jean_mobile],
        "paul 5678": [],
    }


async def test_a_phone_typed_with_separators_inside_a_mixed_query_is_one_digit_run(db):
    jean_mobile = await _new("Jean", "Mobile", phones=["06 12 34 56 78"])
    await _new("Jean", "Office", phones=["01 98 76 54 32"])
    dupont = await _new("Anne", "Dupont2024", emails=["anne.dupont2024@example.fr"])

    assert await _results(
        [
            "jean 06 12 34",
            "06.12.34 jean",
            "jean (06) 12-34",
            "jean +33 6 12",
            "jean 0033 6 12",
            "0612 jean 5678",
            "0612 jean 9999",
            "jean 06 1",
            "dupont2024",
            "anne 2024",
            "2024",
        ]
    ) == {
        "jean 06 12 34": [jean_mobile],
        "06.12.34 jean": [jean_mobile],
        "jean (06) 12-34": [jean_mobile],
        "jean +33 6 12": [jean_mobile],
        "jean 0033 6 12": [jean_mobile],
        "0612 jean 5678": [jean_mobile],
        "0612 jean 9999": [],
        "jean 06 1": [],  # three digits: words, not a phone
        "dupont2024": [dupont],
        "anne 2024": [],  # a lone run of four digits is a phone fragment
        "2024": [],
    }


async def test_changed_phones_and_names_are_searched_by_their_new_value(db):
    cid = await _new("Jean", "Dupont", phones=["06 12 34 56 78"])
    card = await contacts.update_contact(
        CLI, cid, {"last_name": "Durand", "phones": ["07 81 22 33 44"]}, expected_version=1
    )
    assert card.contact.version == 2

    assert await _results(["dupont", "durand", "0612", "0781"]) == {
        "dupont": [],
        "durand": [cid],
        "0612": [],
        "0781": [cid],
    }


# --- hostile input -------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    "*",
    "-",
    ":",
    "^",
    "(",
    ")",
    "NEAR(",
    "NEAR(jean dupont, 2)",
    "AND",
    "OR",
    "NOT",
    "jean AND",
    "jean OR dupont",
    '"jean',
    'jean"',
    "jean*",
    "-jean",
    "jean:",
    "last_name:jean",
    "{jean}",
    "jean & dupont",
    "jean | x",
    "!jean",
    "jean:*",
    "' OR 1=1 --",
    "'; DROP TABLE contact; --",
    "%",
    "_",
    "\\",
    "jean%",
    "😀",
    "jean 😀",
    "\x00",
    "jean\x00",
    "\x00jean",
    "a" * 10_000,
    "jean " * 2_000,
    "1" * 5_000,
    "jean " + "a" * 3_000,
    "+" * 100,
    "é" * 3_000,
    "\u200b",
    "\ufeffjean",
]


async def test_hostile_input_never_raises(db):
    jean = await _new("Jean", "Dupont", phones=["06 12 34 56 78"], emails=["jean@acme.fr"])
    await _new("Paul", "Martin")

    results = await _results(HOSTILE)

    for query in (
        '"jean',
        'jean"',
        "jean*",
        "-jean",
        "jean:",
        "{jean}",
        "jean & dupont",
        "!jean",
        "jean:*",
        "jean%",
        "jean 😀",
        "jean\x00",
        "\x00jean",
        "jean " * 2_000,
        "\ufeffjean",
    ):
        assert results.pop(query) == [jean], repr(query)
    # Operators are words like any other; nothing is named so, so nothing is found.
    for query in (
        "AND",
        "OR",
        "NOT",
        "jean AND",
        "jean OR dupont",
        "' OR 1=1 --",
        "'; DROP TABLE contact; --",
        "NEAR(jean dupont, 2)",
        "last_name:jean",
        "jean | x",
    ):
        assert results.pop(query) == [], repr(query)
    # Queries without a single word or digit run find nothing (rather than everything).
    assert results == {query: [] for query in results}
    assert await Contact.all().count() == 2


async def test_an_empty_query_lists_every_contact(db):
    first = await _new("Jean", "Dupont")
    second = await _new("Paul", "Martin")

    assert await _results(["", "   "]) == {"": [second, first], "   ": [second, first]}


# --- ordering and pagination ---------------------------------------------------------------


async def _page_through(query: str, actor=CLI, limit: int = 4, **kwargs) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = await search.search_contacts(actor, query, cursor=cursor, limit=limit, **kwargs)
        pages.append([row.id for row in page.items])
        if page.next_cursor is None:
            return pages
        assert page.next_cursor == page.items[-1].id
        cursor = page.next_cursor
        assert len(pages) < 50, "pagination does not end"


@pytest.mark.parametrize("query", ["", "page", "0612", "page 0612"])
async def test_keyset_pages_cover_every_result_once_newest_first(db, query):
    ids = [await _new("Page", f"N{i}", phones=[f"06 12 00 00 {i:02d}"]) for i in range(10)]
    await _new("Other", "Person", phones=["01 98 76 54 32"])
    newest_first = sorted(ids, reverse=True)

    pages = await _page_through(query, limit=4)

    if query == "":
        newest_first = [newest_first[0] + 1, *newest_first]  # "Other Person" is the newest
        assert pages == [newest_first[:4], newest_first[4:8], newest_first[8:]]
    else:
        assert pages == [newest_first[:4], newest_first[4:8], newest_first[8:]]


async def test_the_last_full_page_has_no_next_cursor(db):
    ids = sorted([await _new("Page", f"N{i}") for i in range(6)], reverse=True)

    assert await _page_through("page", limit=3) == [ids[:3], ids[3:]]
    assert await _page_through("page", limit=6) == [ids]
    assert await _page_through("page", limit=100) == [ids]


async def test_offset_pages(db):
    ids = sorted([await _new("Page", f"N{i}") for i in range(7)], reverse=True)

    got = {offset: await _ids("page", offset=offset, limit=3) for offset in (0, 2, 3, 6, 7, 50)}
    assert got == {0: ids[:3], 2: ids[2:5], 3: ids[3:6], 6: ids[6:], 7: [], 50: []}
    page = await search.search_contacts(CLI, "page", offset=3, limit=3)
    assert page.next_cursor == ids[5]
    assert await _ids("", offset=5, limit=10) == ids[5:]


async def test_bad_offsets_and_cursors_are_refused(db):
    await _new("Page", "One")
    for kwargs, errors in (
        ({"offset": 10_001}, {"offset": OFFSET_ERROR}),
        ({"offset": -1}, {"offset": OFFSET_ERROR}),
        ({"offset": "2"}, {"offset": OFFSET_ERROR}),
        ({"cursor": "12"}, {"cursor": "must be an id"}),
        (
            {"cursor": True, "offset": 1.5},
            {"cursor": "must be an id", "offset": OFFSET_ERROR},
        ),
    ):
        for query in ("page", ""):
            with pytest.raises(ValidationError) as caught:
                await search.search_contacts(CLI, query, **kwargs)
            assert caught.value.errors == errors


async def test_out_of_range_cursors_are_harmless(db):
    ids = sorted([await _new("Page", f"N{i}") for i in range(2)], reverse=True)

    assert await _results(["page", "", "0612"]) == {"page": ids, "": ids, "0612": []}
    for query in ("page", ""):
        assert await _ids(query, cursor=2**40) == ids
        assert await _ids(query, cursor=0) == []
        assert await _ids(query, cursor=-(2**40)) == []


async def test_limit_is_clamped(db):
    ids = sorted([await _new("Page", f"N{i}") for i in range(3)], reverse=True)

    assert await _ids("page", limit=0) == ids[:1]
    assert await _ids("page", limit=-5) == ids[:1]


async def test_result_rows_show_the_primary_channels(db):
    cid = await _new(
        "Jean",
        "Dupont",
        phones=["06 12 34 56 78", "01 98 76 54 32"],
        emails=["jean@acme.fr", "jd@home.fr"],
        middle_name="Paul",
    )
    [row] = (await search.search_contacts(CLI, "jean")).items
    assert row == search.ContactRow(
        id=cid,
        name="Jean Paul Dupont",
        phone="06 12 34 56 78",
        email="jean@acme.fr",
        company=None,
        responsible_id=None,
    )


# --- read scope ----------------------------------------------------------------------------


async def test_own_read_level_sees_only_own_contacts(db, make_staff):
    alice = await make_staff("Alice", level=Level.OWN)
    bob = await make_staff("Bob", level=Level.OWN)
    alice_contact = await _new("Shared", "Alpha", responsible_id=alice.id, phones=["0612345678"])
    bob_contact = await _new("Shared", "Beta", responsible_id=bob.id, phones=["0612345679"])
    nobody = await _new("Shared", "Gamma", phones=["0612345670"])
    actor = await actor_of(alice)

    assert await _results(["shared", "", "0612", "shared 0612", "beta", "gamma"], actor) == {
        "shared": [alice_contact],
        "": [alice_contact],
        "0612": [alice_contact],
        "shared 0612": [alice_contact],
        "beta": [],
        "gamma": [],
    }
    assert await _ids("shared") == [nobody, bob_contact, alice_contact]


async def test_department_read_level_sees_the_department(db, make_staff):
    from models import Department

    sales = await Department.create(name="Sales")
    other = await Department.create(name="Support")
    alice = await make_staff("Alice", levels={"read": Level.DEPARTMENT}, departments=[sales.id])
    bob = await make_staff("Bob", level=Level.OWN, departments=[sales.id])
    carol = await make_staff("Carol", level=Level.OWN, departments=[other.id])
    a = await _new("Shared", "Alice", responsible_id=alice.id)
    b = await _new("Shared", "Bob", responsible_id=bob.id)
    await _new("Shared", "Carol", responsible_id=carol.id)
    await _new("Shared", "Nobody")
    actor = await actor_of(alice)

    assert await _results(["shared", "", "carol"], actor) == {
        "shared": [b, a],
        "": [b, a],
        "carol": [],
    }
    assert await _ids("shared", await actor_of(bob)) == [b]


async def test_observed_and_opened_contacts_follow_the_read_rules(db, make_staff):
    alice = await make_staff("Alice", level=Level.OWN)
    opener = await make_staff("Opener", levels={"read": Level.OPEN})
    bob = await make_staff("Bob", level=Level.OWN)
    observed = await _new("Shared", "Observed", responsible_id=bob.id)
    opened = await _new("Shared", "Opened", responsible_id=bob.id, opened=True)
    await _new("Shared", "Closed", responsible_id=bob.id)
    await ContactObserver.create(contact_id=observed, staff_id=alice.id)

    assert await _results(["shared", ""], await actor_of(alice)) == {
        "shared": [observed],
        "": [observed],
    }
    assert await _results(["shared", ""], await actor_of(opener)) == {
        "shared": [opened],
        "": [opened],
    }


async def test_no_read_right_sees_nothing(db, make_staff):
    stranger = await make_staff("Stranger", level=Level.NONE)
    await _new("Shared", "Alpha", responsible_id=stranger.id)

    assert await _results(["shared", "", "alpha"], await actor_of(stranger)) == {
        "shared": [],
        "": [],
        "alpha": [],
    }


async def test_deleted_and_merged_contacts_never_appear(db):
    kept = await _new("Jean", "Dupont", phones=["06 12 34 56 78"])
    merged = await _new("Jean", "Dupond", phones=["06 12 34 56 79"])
    deleted = await _new("Jean", "Deleted", phones=["06 12 34 56 70"])
    await contacts.delete_contact(CLI, deleted)
    await merge.merge_contacts(CLI, kept, [merged])

    assert await _results(["jean", "", "0612", "dupond", "deleted"]) == {
        "jean": [kept],
        "": [kept],
        "0612": [kept],
        "dupond": [],
        "deleted": [],
    }
    await contacts.restore_contact(CLI, deleted)
    assert await _ids("deleted") == [deleted]


@pytest.mark.parametrize("query", ["page", "0612", "page 0612"])
async def test_matches_older_than_the_recent_window_are_found_in_order(db, monkeypatch, query):
    # PostgreSQL searches the newest contacts first, then the index below them; a tiny window
    # makes every page cross that boundary (SQLite ignores the window: same expectations).
    monkeypatch.setattr(search, "RECENT_WINDOW", 3)
    ids = [await _new("Page", f"N{i}", phones=[f"06 12 00 00 {i:02d}"]) for i in range(7)]
    for i in range(5):
        await _new("Other", f"P{i}")  # newest contacts that do not match
    newest_first = sorted(ids, reverse=True)

    assert await _page_through(query, limit=3) == [
        newest_first[:3],
        newest_first[3:6],
        newest_first[6:],
    ]
    assert await _ids(query, limit=20) == newest_first
