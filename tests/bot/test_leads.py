"""New-lead alerts end to end: the running bot sends them, "Take it" goes to the first press."""

import asyncio

from bot.callbacks import LeadAction
from crm import contacts
from crm.notifier import queue_message
from models import Contact, FormSubmission, HistoryEntry, Staff, WebForm
from models.enums import HistoryKind, Level
from tests.telegram_stub import TelegramStub


async def _web_lead(actor, data):
    """A contact a web form lead went to (only those can be taken)."""
    card = await contacts.create_contact(actor, data)
    form = await WebForm.get(slug="contact")
    await FormSubmission.create(form=form, payload={}, status="created", contact_id=card.id)
    return card


async def queue_alert(staff: Staff, contact_id: int, text: str) -> None:
    """A lead alert as web forms queue it: kind "lead", grouped per person, Open / Take it."""
    buttons = [
        [{"action": "open", "contact_id": contact_id}, {"action": "take", "contact_id": contact_id}]
    ]
    queued = await queue_message(
        staff, "lead", text, payload={"buttons": buttons}, group_key=f"lead:{staff.id}"
    )
    assert queued is not None


async def _alert(telegram: TelegramStub, staff: Staff, contact_id: int) -> dict:
    """Queue a lead alert and wait for the bot's outbox sender to deliver it."""
    await queue_alert(staff, contact_id, "New lead: Jean <Lead> & co")
    async with asyncio.timeout(5):
        while True:
            if shown := telegram.messages(staff.telegram_id):
                return shown[-1]
            await asyncio.sleep(0.02)


def _labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_the_first_to_take_a_lead_gets_it_and_the_second_is_told_who(
    telegram, make_staff, cli_actor
):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    to_alice = telegram.user(alice.telegram_id, "Alice")
    to_bob = telegram.user(bob.telegram_id, "Bob")
    lead = await _web_lead(cli_actor, {"first_name": "Jean", "last_name": "Lead"})
    alice_alert = await _alert(telegram, alice, lead.id)
    bob_alert = await _alert(telegram, bob, lead.id)
    assert alice_alert["text"] == "New lead: Jean <Lead> & co"
    assert _labels(alice_alert) == ["Open", "✋ Take it"]

    first = await to_alice.click(alice_alert, "Take it")
    second = await to_bob.click(bob_alert, "Take it")

    assert first.answer_text == "It's yours."
    assert second.answer_text == "Already taken by Alice."
    assert second.answer is not None and second.answer.params["show_alert"] in (True, "true")
    for chat in (alice.telegram_id, bob.telegram_id):
        assert _labels(telegram.messages(chat)[-1]) == ["Open"]
    assert (await Contact.get(id=lead.id)).responsible_id == alice.id
    assert await HistoryEntry.filter(entity_id=lead.id, kind=HistoryKind.ASSIGNED).count() == 1


async def test_pressing_take_it_again_says_it_is_already_yours(telegram, make_staff, cli_actor):
    alice = await make_staff("Alice")
    to_alice = telegram.user(alice.telegram_id, "Alice")
    lead = await _web_lead(cli_actor, {"first_name": "Jean", "last_name": "Lead"})
    alert = await _alert(telegram, alice, lead.id)
    await to_alice.click(alert, "Take it")

    again = await to_alice.click_raw(
        alert["message_id"], LeadAction(action="take", id=lead.id).pack()
    )

    assert again.answer_text == "It's yours."
    assert await HistoryEntry.filter(entity_id=lead.id, kind=HistoryKind.ASSIGNED).count() == 1


async def test_the_open_button_shows_the_card(telegram, make_staff, cli_actor):
    alice = await make_staff("Alice")
    to_alice = telegram.user(alice.telegram_id, "Alice")
    lead = await _web_lead(cli_actor, {"first_name": "Jean", "last_name": "Lead"})
    alert = await _alert(telegram, alice, lead.id)

    shown = await to_alice.click(alert, "Open")

    assert any("Jean Lead" in text for text in shown.texts)


async def test_staff_who_may_not_edit_the_contact_are_refused(telegram, make_staff, cli_actor):
    owner = await make_staff("Owner")
    # Carol may read the contact (one she may not read is "not found", as an unknown id is).
    carol = await make_staff("Carol", levels={"edit": Level.OWN})
    to_carol = telegram.user(carol.telegram_id, "Carol")
    lead = await _web_lead(
        cli_actor, {"first_name": "Jean", "last_name": "Lead", "responsible_id": owner.id}
    )
    alert = await _alert(telegram, carol, lead.id)  # a misrouted alert, or a forged button

    refused = await to_carol.click(alert, "Take it")

    assert refused.answer_text == "That could not be done."
    assert any("may not edit this contact" in text for text in refused.texts)
    contact = await Contact.get(id=lead.id)
    assert (contact.responsible_id, contact.taken_at) == (owner.id, None)
