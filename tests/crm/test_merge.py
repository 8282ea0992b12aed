"""Merging duplicate contacts (F6) and undoing it, old stored merges included."""

import pytest

from crm import companies, contacts, customfields, history, merge, search
from crm.actors import system_actor
from crm.db import utcnow
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from crm.merge import MergeMoves, MovedChannel, MovedCompanyLink, MovedRow
from models import (
    Activity,
    Channel,
    Contact,
    ContactCompany,
    ContactDeal,
    ContactObserver,
    CustomFieldValue,
    HistoryEntry,
    MergeRecord,
)
from models.enums import ActivityKind, HistoryKind, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _found(query: str) -> list[int]:
    return [row.id for row in (await search.search_contacts(CLI, query)).items]


async def _make(**data):
    return await contacts.create_contact(CLI, data, allow_duplicate=True)


async def _snapshot(contact_ids: list[int]) -> dict:
    """Every row that hangs on these contacts, to compare before a merge and after its undo."""
    return {
        "channels": sorted(
            await Channel.filter(contact_id__in=contact_ids).values_list(
                "id", "contact_id", "is_primary", "sort"
            )
        ),
        "companies": sorted(
            await ContactCompany.filter(contact_id__in=contact_ids).values_list(
                "id", "contact_id", "is_primary"
            )
        ),
        "deals": sorted(
            await ContactDeal.filter(contact_id__in=contact_ids).values_list("id", "contact_id")
        ),
        "observers": sorted(
            await ContactObserver.filter(contact_id__in=contact_ids).values_list("id", "contact_id")
        ),
        "activities": sorted(
            await Activity.filter(contact_id__in=contact_ids).values_list("id", "contact_id")
        ),
        "custom": sorted(
            await CustomFieldValue.filter(contact_id__in=contact_ids).values_list(
                "id", "contact_id"
            )
        ),
        "history": sorted(
            await HistoryEntry.filter(
                entity="contact", entity_id__in=contact_ids, kind=HistoryKind.CREATED
            ).values_list("id", "entity_id")
        ),
        "contacts": sorted(
            await Contact.filter(id__in=contact_ids).values_list(
                "id", "first_name", "last_name", "position", "birthdate", "deleted_at"
            )
        ),
    }


async def _pair(make_staff):
    await customfields.create_field(CLI, {"code": "size", "label": "Size", "type": "integer"})
    await customfields.create_field(CLI, {"code": "vip", "label": "VIP", "type": "boolean"})
    watcher = await make_staff("Watcher")
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    globex = await companies.create(CLI, "company", {"title": "Globex"})
    deal = await companies.create(CLI, "deal", {"title": "Deal"})
    keep = await _make(
        first_name="Jean",
        last_name="Dupont",
        phones=["06 12 34 56 78"],
        emails=["jean@x.fr"],
        companies=[acme.id],
        custom={"size": 10},
    )
    other = await _make(
        first_name="Jean",
        last_name="Dupont",
        position="CTO",
        birthdate="1980-01-02",
        phones=["+33612345678", "01 42 68 53 00"],
        emails=["JEAN@X.FR", "jd@perso.fr"],
        companies=[globex.id, acme.id],
        observers=[watcher.id],
        custom={"size": 20, "vip": True},
    )
    await contacts.link(CLI, other.id, "deal", deal.pk)
    call = await Activity.create(
        kind=ActivityKind.CALL, subject="Call", start_at=utcnow(), contact_id=other.id
    )
    return keep, other, call, acme, globex


async def test_merge_moves_rows_fills_empty_fields_and_hides_the_other(db, make_staff):
    keep, other, call, acme, globex = await _pair(make_staff)
    record = await merge.merge_contacts(CLI, keep.id, [other.id, keep.id, other.id])
    assert record.merged_ids == [other.id]

    card = await contacts.get_contact(CLI, keep.id)
    assert [(c.kind.value, c.normalized, c.is_primary) for c in card.channels] == [
        ("email", "jean@x.fr", True),
        ("email", "jd@perso.fr", False),
        ("phone", "+33612345678", True),
        ("phone", "+33142685300", False),
    ]
    # The duplicates of kept channels stay on the hidden contact (for the undo).
    assert sorted(
        await Channel.filter(contact_id=other.id).values_list("normalized", flat=True)
    ) == ["+33612345678", "jean@x.fr"]
    assert sorted((c.title, c.is_primary) for c in card.companies) == [
        ("Acme", True),
        ("Globex", False),
    ]
    assert await ContactDeal.filter(contact_id=keep.id).count() == 1
    assert len(card.observer_ids) == 1
    assert (await Activity.get(id=call.id)).contact_id == keep.id
    assert card.custom == {"size": [10], "vip": [True]}
    assert (card.contact.position, str(card.contact.birthdate)) == ("CTO", "1980-01-02")
    assert card.version == keep.version + 1

    hidden = await Contact.get(id=other.id)
    assert hidden.merged_into_id == keep.id and hidden.deleted_at is not None
    with pytest.raises(NotFoundError):
        await contacts.get_contact(CLI, other.id)
    assert await contacts.recycle_bin(CLI) == []
    assert await _found("dupont") == [keep.id]
    assert await _found("0142685300") == [keep.id]
    assert await _found("globex") == [keep.id]

    page = await history.contact_history(CLI, keep.id, per_page=100)
    kinds = [(e.kind, e.entity_id) for e in page.entries]
    # The other's history now shows on the kept card, the merge on top.
    assert kinds[0] == (HistoryKind.MERGED, keep.id)
    assert page.entries[0].before == f"Jean Dupont (#{other.id})"
    assert page.entries[0].after == f"merge #{record.id}"
    assert sum(1 for k, _ in kinds if k == HistoryKind.CREATED) == 2
    assert sorted(
        (e.field, e.before, e.after) for e in page.entries if e.kind == HistoryKind.CHANGED
    ) == [("birthdate", None, "1980-01-02"), ("position", None, "CTO")]


async def test_unmerge_puts_every_row_back(db, make_staff):
    keep, other, call, acme, globex = await _pair(make_staff)
    before = await _snapshot([keep.id, other.id])
    record = await merge.merge_contacts(CLI, keep.id, [other.id])
    assert await _snapshot([keep.id, other.id]) != before

    restored = await merge.unmerge(CLI, record.id)
    assert restored == [other.id]
    assert await _snapshot([keep.id, other.id]) == before
    assert sorted(await _found("dupont")) == sorted([keep.id, other.id])
    assert await _found("globex") == [other.id]
    assert await _found("0142685300") == [other.id]
    assert (await contacts.get_contact(CLI, other.id)).version > other.version
    assert (await MergeRecord.get(id=record.id)).undone_at is not None

    with pytest.raises(ConflictError):
        await merge.unmerge(CLI, record.id)
    assert await _snapshot([keep.id, other.id]) == before


async def test_unmerge_keeps_a_filled_field_that_was_edited_since(db, make_staff):
    keep, other, *_ = await _pair(make_staff)
    record = await merge.merge_contacts(CLI, keep.id, [other.id])
    card = await contacts.get_contact(CLI, keep.id)
    await contacts.update_contact(CLI, keep.id, {"position": "CEO"}, card.version)
    await merge.unmerge(CLI, record.id)
    kept = await Contact.get(id=keep.id)
    assert (kept.position, kept.birthdate) == ("CEO", None)
    last = (await history.contact_history(CLI, keep.id)).entries[:2]
    assert [(e.kind, e.field, e.before, e.after) for e in last] == [
        (HistoryKind.UNMERGED, "merge", f"merge #{record.id}", None),
        (HistoryKind.CHANGED, "birthdate", "1980-01-02", None),
    ]


async def test_merge_refuses_bad_requests(db, make_staff):
    a = await _make(first_name="A")
    b = await _make(first_name="B")
    with pytest.raises(ValidationError) as caught:
        await merge.merge_contacts(CLI, a.id, [a.id])
    assert caught.value.errors == {"others": "choose at least one other contact to merge"}
    with pytest.raises(NotFoundError):
        await merge.merge_contacts(CLI, a.id, [9999])
    await merge.merge_contacts(CLI, a.id, [b.id])
    with pytest.raises(NotFoundError):
        await merge.merge_contacts(CLI, a.id, [b.id])
    with pytest.raises(NotFoundError):
        await merge.unmerge(CLI, 9999)


async def test_merge_needs_edit_on_the_kept_and_delete_on_the_others(db, make_staff):
    me = await make_staff("Me", levels={"read": Level.ALL, "edit": Level.OWN, "delete": Level.OWN})
    other = await make_staff("Other")
    mine = await _make(first_name="A", responsible_id=me.id)
    theirs = await _make(first_name="B", responsible_id=other.id)
    actor = await actor_of(me)
    with pytest.raises(PermissionDeniedError):
        await merge.merge_contacts(actor, mine.id, [theirs.id])
    with pytest.raises(PermissionDeniedError):
        await merge.merge_contacts(actor, theirs.id, [mine.id])
    assert await MergeRecord.all().count() == 0
    assert await Contact.filter(merged_into_id__isnull=False).count() == 0


async def test_merge_gives_the_kept_contact_a_primary_it_lacked(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    keep = await _make(first_name="A", emails=["a@x.fr"])
    other = await _make(first_name="B", phones=["0612345678", "0142685300"], companies=[acme.id])
    before = await _snapshot([keep.id, other.id])
    record = await merge.merge_contacts(CLI, keep.id, [other.id])
    card = await contacts.get_contact(CLI, keep.id)
    assert [(c.normalized, c.is_primary) for c in card.channels] == [
        ("a@x.fr", True),
        ("+33612345678", True),
        ("+33142685300", False),
    ]
    assert [(c.title, c.is_primary) for c in card.companies] == [("Acme", True)]
    assert [
        (e.kind, e.entity_id, e.after)
        for e in (await history.contact_history(CLI, keep.id)).entries
    ] == [
        (HistoryKind.MERGED, keep.id, f"merge #{record.id}"),
        (HistoryKind.CREATED, keep.id, "B"),
        (HistoryKind.CREATED, keep.id, "A"),
    ]
    await merge.unmerge(CLI, record.id)
    assert await _snapshot([keep.id, other.id]) == before


async def test_purging_a_merged_contact_takes_its_hidden_twins_along(db):
    keep = await contacts.create_contact(CLI, {"first_name": "Keep", "last_name": "Me"})
    twin = await contacts.create_contact(
        CLI, {"first_name": "Twin", "last_name": "Me", "phones": ["06 11 22 33 44"]}
    )
    await merge.merge_contacts(CLI, keep.id, [twin.id])
    await contacts.delete_contact(CLI, keep.id)

    await contacts.purge_contact(CLI, keep.id)

    assert not await Contact.filter(id__in=[keep.id, twin.id]).exists()
    assert [c.id for c in await contacts.recycle_bin(CLI)] == []
    kinds = await HistoryEntry.filter(entity="contact", entity_id=twin.id, kind="purged").count()
    assert kinds == 1


# --- the stored undo data -------------------------------------------------------------------


def _as_positional(moved: dict) -> dict:
    """`moved` as merges stored it before the typed record: positional lists, "fields"."""
    return {
        "channels": [
            [c["id"], c["contact_id"], c["is_primary"], c["sort"]] for c in moved["channels"]
        ],
        "companies": [[c["id"], c["contact_id"], c["is_primary"]] for c in moved["companies"]],
        **{
            key: [[r["id"], r["contact_id"]] for r in moved[key]]
            for key in ("deals", "quotes", "observers", "activities", "history")
        },
        # Custom values carried their field id as a third item, which the undo never read.
        "custom": [[r["id"], r["contact_id"], 0] for r in moved["custom"]],
        "fields": moved["filled"],
        "versions": moved["versions"],
    }


def test_the_undo_data_reads_back_what_was_written():
    moved = MergeMoves(
        channels=[MovedChannel(1, 7, True, 0)],
        companies=[MovedCompanyLink(2, 7, False)],
        deals=[MovedRow(3, 7)],
        quotes=[MovedRow(4, 7)],
        observers=[MovedRow(5, 8)],
        activities=[MovedRow(6, 8)],
        history=[MovedRow(9, 7)],
        custom=[MovedRow(10, 8)],
        filled={"position": "CTO", "birthdate": "1980-01-02"},
        versions={7: 3, 8: 2},
    )
    stored = moved.to_json()
    assert stored["format"] == 2
    assert stored["channels"] == [{"id": 1, "contact_id": 7, "is_primary": True, "sort": 0}]
    assert stored["versions"] == {"7": 3, "8": 2}
    assert MergeMoves.from_json(stored) == moved


def test_the_undo_data_reads_the_positional_shape_of_older_merges():
    stored = {
        "channels": [[1, 7, True, 0]],
        # Before company links kept their primary flag they were two items long.
        "companies": [[2, 7, True], [3, 8]],
        "deals": [[4, 7]],
        "quotes": [],
        "observers": [[5, 8]],
        "activities": [[6, 8]],
        "history": [[9, 7]],
        "custom": [[10, 8, 42]],
        "fields": {"position": "CTO"},
        "versions": {"7": 3, "8": 2},
    }
    assert MergeMoves.from_json(stored) == MergeMoves(
        channels=[MovedChannel(1, 7, True, 0)],
        companies=[MovedCompanyLink(2, 7, True), MovedCompanyLink(3, 8, False)],
        deals=[MovedRow(4, 7)],
        observers=[MovedRow(5, 8)],
        activities=[MovedRow(6, 8)],
        history=[MovedRow(9, 7)],
        custom=[MovedRow(10, 8)],
        filled={"position": "CTO"},
        versions={7: 3, 8: 2},
    )


def test_the_undo_data_refuses_a_shape_it_does_not_know():
    with pytest.raises(ValueError, match="format 3"):
        MergeMoves.from_json({"format": 3})


async def test_a_merge_stored_in_the_old_positional_shape_still_unmerges(db, make_staff):
    keep, other, *_ = await _pair(make_staff)
    before = await _snapshot([keep.id, other.id])
    record = await merge.merge_contacts(CLI, keep.id, [other.id])
    # Store the record as the code before the typed record wrote it.
    old_shape = _as_positional(record.moved)
    assert old_shape["channels"] and old_shape["companies"] and old_shape["fields"]
    await MergeRecord.filter(id=record.id).update(moved=old_shape)

    assert await merge.unmerge(CLI, record.id) == [other.id]

    assert await _snapshot([keep.id, other.id]) == before
    assert (await Contact.get(id=other.id)).version == old_shape["versions"][str(other.id)] + 1
    assert await _found("globex") == [other.id]


async def test_an_old_merge_without_company_flags_brings_links_back_as_secondary(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    keep = await _make(first_name="A")
    other = await _make(first_name="B", companies=[acme.id])
    record = await merge.merge_contacts(CLI, keep.id, [other.id])
    old_shape = _as_positional(record.moved)
    old_shape["companies"] = [row[:2] for row in old_shape["companies"]]
    await MergeRecord.filter(id=record.id).update(moved=old_shape)

    await merge.unmerge(CLI, record.id)

    assert await ContactCompany.filter(contact_id=other.id).values_list(
        "company_id", "is_primary"
    ) == [(acme.id, False)]
