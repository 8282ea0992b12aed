"""Taking a lead ("Take it" on an alert): the first press wins, once, with history."""

import asyncio

import pytest

from crm import leads
from crm.contacts import create_contact, delete_contact
from crm.errors import NotFoundError, PermissionDeniedError
from models import Contact, FormSubmission, HistoryEntry, WebForm
from models.enums import HistoryKind, Level
from tests.conftest import actor_of


async def _lead(cli_actor, **extra) -> int:
    """A contact a web form lead went to."""
    card = await create_contact(cli_actor, {"first_name": "Jean", "last_name": "Lead", **extra})
    form = await WebForm.get(slug="contact")
    await FormSubmission.create(form=form, payload={}, status="created", contact_id=card.id)
    return card.id


async def test_the_first_press_takes_the_lead_with_history(db, make_staff, cli_actor):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    lead = await _lead(cli_actor)

    first = await leads.take_lead(await actor_of(alice), lead)
    second = await leads.take_lead(await actor_of(bob), lead)

    assert (first.taken_now, first.holder_id, first.holder_name) == (True, alice.id, "Alice")
    assert (second.taken_now, second.holder_id, second.holder_name) == (False, alice.id, "Alice")
    contact = await Contact.get(id=lead)
    assert contact.responsible_id == alice.id and contact.taken_at is not None
    assert contact.version == 2
    assigned = await HistoryEntry.filter(entity_id=lead, kind=HistoryKind.ASSIGNED).values_list(
        "actor_staff_id", "field", "before", "after"
    )
    assert assigned == [(alice.id, "responsible_id", None, str(alice.id))]


async def test_of_many_presses_at_once_exactly_one_wins(db, make_staff, cli_actor):
    staff = [await make_staff(f"S{i}") for i in range(4)]
    actors = [await actor_of(s) for s in staff]
    lead = await _lead(cli_actor)

    results = await asyncio.gather(*(leads.take_lead(a, lead) for a in actors))

    winners = [r for r in results if r.taken_now]
    assert len(winners) == 1
    assert {r.holder_id for r in results} == {winners[0].holder_id}
    assert await HistoryEntry.filter(entity_id=lead, kind=HistoryKind.ASSIGNED).count() == 1


async def test_a_taken_lead_stays_taken_after_it_is_reassigned(db, make_staff, cli_actor):
    alice = await make_staff("Alice")
    lead = await _lead(cli_actor)
    await leads.take_lead(await actor_of(alice), lead)
    await Contact.filter(id=lead).update(responsible_id=None)

    again = await leads.take_lead(await actor_of(alice), lead)

    assert (again.taken_now, again.holder_id, again.holder_name) == (False, None, None)


async def test_staff_who_may_not_read_the_contact_are_told_it_does_not_exist(
    db, make_staff, cli_actor
):
    owner = await make_staff("Owner")
    outsider = await make_staff("Outsider", level=Level.OWN)
    lead = await _lead(cli_actor, responsible_id=owner.id)

    # The same answer as for an id that does not exist: a refusal would confirm the contact.
    with pytest.raises(NotFoundError) as hidden:
        await leads.take_lead(await actor_of(outsider), lead)
    with pytest.raises(NotFoundError) as missing:
        await leads.take_lead(await actor_of(outsider), 999_999)
    assert str(hidden.value) == str(missing.value).replace("999999", str(lead))

    contact = await Contact.get(id=lead)
    assert (contact.responsible_id, contact.taken_at) == (owner.id, None)


async def test_a_deleted_or_unknown_contact_cannot_be_taken(db, make_staff, cli_actor):
    alice = await make_staff("Alice")
    lead = await _lead(cli_actor)
    await delete_contact(cli_actor, lead)

    for contact_id in (lead, 999_999, 2**40):
        with pytest.raises(NotFoundError):
            await leads.take_lead(await actor_of(alice), contact_id)


async def test_only_a_web_form_lead_can_be_taken(db, make_staff, cli_actor):
    owner = await make_staff("Owner")
    alice = await make_staff("Alice")
    customer = await create_contact(
        cli_actor, {"first_name": "Old", "last_name": "Customer", "responsible_id": owner.id}
    )
    with pytest.raises(PermissionDeniedError, match="web form lead"):
        await leads.take_lead(await actor_of(alice), customer.id)  # a forged button
    assert (await Contact.get(id=customer.id)).responsible_id == owner.id


async def test_staff_who_may_read_but_not_edit_cannot_take_it(db, make_staff, cli_actor):
    owner = await make_staff("Owner")
    reader = await make_staff("Reader", levels={"read": Level.ALL, "edit": Level.NONE})
    lead = await _lead(cli_actor, responsible_id=owner.id)
    with pytest.raises(PermissionDeniedError):
        await leads.take_lead(await actor_of(reader), lead)
    assert (await Contact.get(id=lead)).responsible_id == owner.id
