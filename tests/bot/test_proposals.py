"""A lead's proposal to a known contact, end to end: the alert the running bot sends carries
Apply / Ignore; a press settles it once and the alert then says what happened."""

import asyncio

from bot.callbacks import ProposalAction, ProposalButton
from crm import contacts
from crm.actors import system_actor
from crm.webforms import definitions
from crm.webforms.submissions import SubmissionMeta
from models import Contact, FormSubmission, Staff
from models.enums import CallerKind, Level
from tests.posts import post_lead
from tests.telegram_stub import TelegramStub

CLI = system_actor("cli")


async def _proposing_lead(responsible: Staff, name: str = "Eve <b>Attacker</b>") -> tuple[int, int]:
    """Jean, whose responsible is given, and an anonymous post proposing another name and a
    message: (contact id, submission id)."""
    card = await contacts.create_contact(
        CLI,
        {
            "first_name": "Jean",
            "last_name": "Dupont",
            "emails": ["jean@example.fr"],
            "comment": "VIP",
            "responsible_id": responsible.id,
        },
    )
    await definitions.create_form(CLI, {"slug": "leads", "title": "Leads", "dedup_policy": "merge"})
    result = await post_lead(
        "leads",
        {"name": name, "email": "jean@example.fr", "message": "call me", "consent": "on"},
        SubmissionMeta(caller=CallerKind.PAGE),
    )
    assert (result.status, result.contact_id) == ("merged", card.id)
    return card.id, result.submission_id


async def _alert(telegram: TelegramStub, staff: Staff) -> dict:
    """The lead alert the bot's outbox sender delivers to `staff`."""
    async with asyncio.timeout(5):
        while True:
            if shown := telegram.messages(staff.telegram_id):
                return shown[-1]
            await asyncio.sleep(0.02)


def _labels(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


async def test_apply_writes_the_proposal_and_the_alert_says_so(telegram, make_staff):
    ann = await make_staff("Ann")
    to_ann = telegram.user(ann.telegram_id, "Ann")
    contact_id, submission_id = await _proposing_lead(ann)
    alert = await _alert(telegram, ann)
    assert "First name: Eve (now: Jean)" in alert["text"]
    assert "Last name: <b>Attacker</b> (now: Dupont)" in alert["text"]  # escaped, shown as typed
    assert _labels(alert) == ["Open", "Take it", "Apply", "Ignore"]

    pressed = await to_ann.click(alert, "Apply")

    assert pressed.answer_text == f"✅ Proposal applied to #{contact_id} by Ann."
    shown = telegram.messages(ann.telegram_id)[-1]
    assert shown["text"].endswith(f"✅ Proposal applied to #{contact_id} by Ann.")
    assert "First name: Eve (now: Jean)" in shown["text"]
    assert "Last name: <b>Attacker</b> (now: Dupont)" in shown["text"]  # still escaped
    assert _labels(shown) == ["Open", "Take it"]
    contact = await Contact.get(id=contact_id)
    assert (contact.first_name, contact.last_name) == ("Eve", "<b>Attacker</b>")
    assert contact.comment == "VIP\n\ncall me"
    assert (await FormSubmission.get(id=submission_id)).proposal is None


async def test_ignore_leaves_the_contact_and_a_second_press_is_told(telegram, make_staff):
    ann = await make_staff("Ann")
    to_ann = telegram.user(ann.telegram_id, "Ann")
    contact_id, submission_id = await _proposing_lead(ann)
    alert = await _alert(telegram, ann)

    ignored = await to_ann.click(alert, "Ignore")
    again = await to_ann.click_raw(
        alert["message_id"], ProposalAction(action=ProposalButton.APPLY, id=submission_id).pack()
    )

    assert ignored.answer_text == f"Proposal for #{contact_id} ignored by Ann."
    assert again.answer_text == "This proposal was already applied or ignored."
    shown = telegram.messages(ann.telegram_id)[-1]
    assert shown["text"].endswith(f"Proposal for #{contact_id} ignored by Ann.")
    assert _labels(shown) == ["Open", "Take it"]
    contact = await Contact.get(id=contact_id)
    assert (contact.first_name, contact.comment) == ("Jean", "VIP")


async def test_staff_who_may_not_edit_the_contact_are_refused(telegram, make_staff):
    ann = await make_staff("Ann")
    reader = await make_staff("Reader", levels={"read": Level.ALL}, level=None)
    to_reader = telegram.user(reader.telegram_id, "Reader")
    contact_id, submission_id = await _proposing_lead(ann)

    refused = await to_reader.click_raw(
        1, ProposalAction(action=ProposalButton.APPLY, id=submission_id).pack()
    )

    assert refused.answer_text == "That could not be done."
    assert (await Contact.get(id=contact_id)).first_name == "Jean"
    assert (await FormSubmission.get(id=submission_id)).proposal is not None
