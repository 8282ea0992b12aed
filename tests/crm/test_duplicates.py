"""Duplicates (F6): the check every create runs, the admin listing, merge and unmerge."""

import pytest

from crm import companies, contacts, customfields, duplicates, history, search
from crm.actors import system_actor
from crm.db import utcnow
from crm.errors import (
    ConflictError,
    DuplicateContactError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
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


# --- the duplicate check on create ----------------------------------------------------------


async def test_it_finds_the_same_phone_typed_differently(db):
    jean = await _make(first_name="Jean", last_name="Dupont", phones=["06 12 34 56 78"])
    with pytest.raises(DuplicateContactError) as caught:
        await contacts.create_contact(CLI, {"first_name": "J", "phones": ["+33612345678"]})
    assert caught.value.matches == [
        duplicates.DuplicateMatch(jean.id, "Jean Dupont", "phone", "+33612345678", True)
    ]
    assert await Contact.all().count() == 1


async def test_it_finds_the_same_email_in_another_case(db):
    ann = await _make(first_name="Ann", emails=["ann@example.com"])
    with pytest.raises(DuplicateContactError) as caught:
        await contacts.create_contact(CLI, {"first_name": "A", "emails": ["ANN@Example.Com"]})
    assert [(m.contact_id, m.reason, m.value) for m in caught.value.matches] == [
        (ann.id, "email", "ann@example.com")
    ]


async def test_it_finds_the_same_telegram_username_however_it_was_pasted(db):
    jean = await _make(
        first_name="Jean", messengers=[{"value": "https://t.me/Jean_Dupont", "type": "TELEGRAM"}]
    )
    with pytest.raises(DuplicateContactError) as caught:
        await contacts.create_contact(
            CLI, {"first_name": "J", "messengers": [{"value": "@jean_dupont", "type": "TELEGRAM"}]}
        )
    assert [(m.contact_id, m.reason, m.value) for m in caught.value.matches] == [
        (jean.id, "telegram", "@jean_dupont")
    ]


async def test_a_whatsapp_value_equal_to_a_telegram_username_is_not_a_duplicate(db):
    await _make(first_name="Jean", messengers=[{"value": "jean_dupont", "type": "WHATSAPP"}])
    created = await contacts.create_contact(
        CLI, {"first_name": "J", "messengers": [{"value": "@jean_dupont", "type": "TELEGRAM"}]}
    )
    assert created.id


async def test_it_finds_the_same_full_name_across_accents_and_case(db):
    jose = await _make(first_name="José", last_name="Álvarez")
    with pytest.raises(DuplicateContactError) as caught:
        await contacts.create_contact(CLI, {"first_name": "JOSE", "last_name": "alvarez"})
    assert [(m.contact_id, m.display_name, m.reason, m.value) for m in caught.value.matches] == [
        (jose.id, "José Álvarez", "name", "alvarez, jose")
    ]


async def test_it_does_not_match_names_without_a_last_name(db):
    await _make(first_name="Jean")
    card = await contacts.create_contact(CLI, {"first_name": "Jean"})
    assert card.contact.first_name == "Jean"
    await _make(first_name="Marie", last_name="Curie")
    # Same last name, another first name: another person.
    await contacts.create_contact(CLI, {"first_name": "Pierre", "last_name": "Curie"})
    assert await Contact.all().count() == 4


async def test_it_creates_anyway_when_asked(db):
    jean = await _make(first_name="Jean", last_name="Dupont", phones=["0612345678"])
    twin = await contacts.create_contact(
        CLI, {"first_name": "Jean", "last_name": "Dupont"}, allow_duplicate=True
    )
    assert twin.id != jean.id
    assert await Contact.all().count() == 2


async def test_deleted_and_merged_contacts_are_not_duplicates(db):
    gone = await _make(first_name="Jean", last_name="Dupont", phones=["0612345678"])
    await contacts.delete_contact(CLI, gone.id)
    card = await contacts.create_contact(CLI, {"last_name": "X", "phones": ["0612345678"]})
    assert card.id != gone.id


async def test_a_match_the_actor_cannot_read_is_reported_without_its_name(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    other = await make_staff("Other")
    hidden = await _make(
        first_name="Secret", last_name="Agent", phones=["0612345678"], responsible_id=other.id
    )
    with pytest.raises(DuplicateContactError) as caught:
        await contacts.create_contact(
            await actor_of(me), {"first_name": "X", "phones": ["06.12.34.56.78"]}
        )
    assert caught.value.matches == [duplicates.DuplicateMatch(hidden.id, "", "phone", "", False)]
    assert "Secret" not in str(caught.value)


async def test_check_duplicates_lists_every_match_once(db):
    a = await _make(first_name="Jean", last_name="Dupont", phones=["0612345678"])
    b = await _make(first_name="J", emails=["jd@x.fr"])
    matches = await contacts.check_duplicates(
        CLI,
        {
            "first_name": "Jean",
            "last_name": "Dupont",
            "phones": ["+33 6 12 34 56 78"],
            "emails": ["JD@x.fr"],
        },
    )
    assert [(m.contact_id, m.reason) for m in matches] == [(a.id, "phone"), (b.id, "email")]


async def test_duplicate_groups_is_for_admins(db, make_staff):
    a = await _make(first_name="A", last_name="Same", phones=["0612345678"])
    b = await _make(first_name="B", phones=["+33612345678"])
    c = await _make(first_name="a", last_name="SAME")
    await _make(first_name="Alone")
    admin = await make_staff("Admin", admin=True)
    assert await duplicates.duplicate_groups(await actor_of(admin)) == [
        [a.id, b.id],
        [a.id, c.id],
    ]
    staff = await make_staff("Staff")
    with pytest.raises(PermissionDeniedError):
        await duplicates.duplicate_groups(await actor_of(staff))


# --- merge and unmerge ----------------------------------------------------------------------


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
    record = await duplicates.merge_contacts(CLI, keep.id, [other.id, keep.id, other.id])
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
    record = await duplicates.merge_contacts(CLI, keep.id, [other.id])
    assert await _snapshot([keep.id, other.id]) != before

    restored = await duplicates.unmerge(CLI, record.id)
    assert restored == [other.id]
    assert await _snapshot([keep.id, other.id]) == before
    assert sorted(await _found("dupont")) == sorted([keep.id, other.id])
    assert await _found("globex") == [other.id]
    assert await _found("0142685300") == [other.id]
    assert (await contacts.get_contact(CLI, other.id)).version > other.version
    assert (await MergeRecord.get(id=record.id)).undone_at is not None

    with pytest.raises(ConflictError):
        await duplicates.unmerge(CLI, record.id)
    assert await _snapshot([keep.id, other.id]) == before


async def test_unmerge_keeps_a_filled_field_that_was_edited_since(db, make_staff):
    keep, other, *_ = await _pair(make_staff)
    record = await duplicates.merge_contacts(CLI, keep.id, [other.id])
    card = await contacts.get_contact(CLI, keep.id)
    await contacts.update_contact(CLI, keep.id, {"position": "CEO"}, card.version)
    await duplicates.unmerge(CLI, record.id)
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
        await duplicates.merge_contacts(CLI, a.id, [a.id])
    assert caught.value.errors == {"others": "choose at least one other contact to merge"}
    with pytest.raises(NotFoundError):
        await duplicates.merge_contacts(CLI, a.id, [9999])
    await duplicates.merge_contacts(CLI, a.id, [b.id])
    with pytest.raises(NotFoundError):
        await duplicates.merge_contacts(CLI, a.id, [b.id])
    with pytest.raises(NotFoundError):
        await duplicates.unmerge(CLI, 9999)


async def test_merge_needs_edit_on_the_kept_and_delete_on_the_others(db, make_staff):
    me = await make_staff("Me", levels={"read": Level.ALL, "edit": Level.OWN, "delete": Level.OWN})
    other = await make_staff("Other")
    mine = await _make(first_name="A", responsible_id=me.id)
    theirs = await _make(first_name="B", responsible_id=other.id)
    actor = await actor_of(me)
    with pytest.raises(PermissionDeniedError):
        await duplicates.merge_contacts(actor, mine.id, [theirs.id])
    with pytest.raises(PermissionDeniedError):
        await duplicates.merge_contacts(actor, theirs.id, [mine.id])
    assert await MergeRecord.all().count() == 0
    assert await Contact.filter(merged_into_id__isnull=False).count() == 0


async def test_history_is_paginated_newest_first(db):
    card = await _make(first_name="A")
    version = card.version
    for i in range(5):
        version = (
            await contacts.update_contact(CLI, card.id, {"position": f"P{i}"}, version)
        ).version
    first = await history.contact_history(CLI, card.id, page=0, per_page=4)
    second = await history.contact_history(CLI, card.id, page=1, per_page=4)
    assert [e.after for e in first.entries] == ["P4", "P3", "P2", "P1"]
    assert first.has_more is True
    assert [(e.kind, e.after) for e in second.entries] == [
        (HistoryKind.CHANGED, "P0"),
        (HistoryKind.CREATED, "A"),
    ]
    assert second.has_more is False


async def test_history_needs_read_rights(db, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    card = await _make(first_name="A")
    with pytest.raises(PermissionDeniedError):
        await history.contact_history(await actor_of(me), card.id)
    with pytest.raises(NotFoundError):
        await history.contact_history(CLI, 9999)


async def test_merge_gives_the_kept_contact_a_primary_it_lacked(db):
    acme = await companies.create(CLI, "company", {"title": "Acme"})
    keep = await _make(first_name="A", emails=["a@x.fr"])
    other = await _make(first_name="B", phones=["0612345678", "0142685300"], companies=[acme.id])
    before = await _snapshot([keep.id, other.id])
    record = await duplicates.merge_contacts(CLI, keep.id, [other.id])
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
    await duplicates.unmerge(CLI, record.id)
    assert await _snapshot([keep.id, other.id]) == before


async def test_purging_a_merged_contact_takes_its_hidden_twins_along(db):
    keep = await contacts.create_contact(CLI, {"first_name": "Keep", "last_name": "Me"})
    twin = await contacts.create_contact(
        CLI, {"first_name": "Twin", "last_name": "Me", "phones": ["06 11 22 33 44"]}
    )
    await duplicates.merge_contacts(CLI, keep.id, [twin.id])
    await contacts.delete_contact(CLI, keep.id)

    await contacts.purge_contact(CLI, keep.id)

    assert not await Contact.filter(id__in=[keep.id, twin.id]).exists()
    assert [c.id for c in await contacts.recycle_bin(CLI)] == []
    kinds = await HistoryEntry.filter(entity="contact", entity_id=twin.id, kind="purged").count()
    assert kinds == 1
