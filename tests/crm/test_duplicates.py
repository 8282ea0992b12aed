"""Duplicates (F6): the check every create runs, the admin listing, merge and unmerge."""

import pytest

from crm import contacts, duplicates, history, search
from crm.actors import system_actor
from crm.errors import (
    DuplicateContactError,
    NotFoundError,
    PermissionDeniedError,
)
from models import (
    Contact,
)
from models.enums import HistoryKind, Level
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
    with pytest.raises(NotFoundError, match=f"contact #{card.id} does not exist"):
        await history.contact_history(await actor_of(me), card.id)  # as for a missing id
    with pytest.raises(NotFoundError):
        await history.contact_history(CLI, 9999)
