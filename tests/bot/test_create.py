"""Adding contacts from the bot: the /new dialog, one line, shared contacts, forwarded messages,
.vcf files, and the duplicate check with Open / Merge / Create anyway on every path."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod

from bot.handlers.create import NewAction, NewButton
from bot.setup import build_storage
from crm import contacts, customfields
from crm.actors import system_actor
from models import Company, Contact, Staff
from models.enums import Level
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of

CLI = system_actor("cli")
Calls = list[TelegramMethod[Any]]
ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;"


@pytest.fixture
async def alice(make_staff) -> Staff:
    return await make_staff("Alice")


async def _jean(**extra: Any) -> contacts.ContactCard:
    data = {"first_name": "Jean", "last_name": "Dupont", "phones": ["+33612345678"], **extra}
    return await contacts.create_contact(CLI, data, allow_duplicate=True)


async def share(h: Harness, user_id: int, phone: str, first: str, last: str = "") -> Calls:
    contact = {"phone_number": phone, "first_name": first}
    if last:
        contact["last_name"] = last
    return await h.feed(h.message(user_id, contact=contact))


async def forward(h: Harness, user_id: int, origin: dict[str, Any]) -> Calls:
    origin = {"date": int(datetime.now(UTC).timestamp()), **origin}
    return await h.feed(h.message(user_id, text="Hello there", forward_origin=origin))


def alerts(calls: Calls) -> list[str]:
    return [c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]


def last_text(calls: Calls) -> str:
    return texts(calls)[-1]


async def skip_to(h: Harness, user_id: int, calls: Calls, label: str) -> Calls:
    """Tap Skip until the dialog asks the field labelled `label`."""
    for _ in range(30):
        if f"<b>{label}</b>" in last_text(calls):
            return calls
        calls = await h.click(user_id, buttons(calls)["Skip ▶"])
    raise AssertionError(f"the dialog never asked {label}")


# --- the step-by-step dialog ------------------------------------------------------------------


async def test_the_dialog_asks_field_by_field_and_saves_the_contact(alice):
    h = Harness()
    uid = alice.telegram_id
    calls = await h.send(uid, "/new")
    assert "Send /cancel at any time" in texts(calls)[0]
    assert "1/15" in last_text(calls) and "<b>Honorific</b>" in last_text(calls)
    assert set(buttons(calls)) == {"Skip ▶", "✖ Cancel"}
    calls = await skip_to(h, uid, calls, "First name")
    calls = await h.send(uid, "Jean")
    assert "3/15" in last_text(calls)
    calls = await skip_to(h, uid, calls, "Last name")
    calls = await h.send(uid, "Dupont")
    calls = await h.send(uid, "06 12 34 56 78\n01 40 00 00 00")
    assert "<b>E-mails</b>" in last_text(calls)
    calls = await h.send(uid, "jean@example.fr")
    calls = await h.send(uid, "Acme")
    calls = await skip_to(h, uid, calls, "Type")
    assert {"Client", "Supplier", "Partner"} <= set(buttons(calls))
    calls = await h.click(uid, buttons(calls)["Partner"])
    calls = await skip_to(h, uid, calls, "Birthdate")
    calls = await h.send(uid, "25/04/1990")
    calls = await skip_to(h, uid, calls, "Source details")
    calls = await h.click(uid, buttons(calls)["Skip ▶"])
    summary = last_text(calls)
    assert "check it and save it" in summary
    for line in ("First name: Jean", "Type: Partner", "Companies: Acme", "Apr 25, 1990"):
        assert line in summary
    assert "Phones: 06 12 34 56 78, 01 40 00 00 00" in summary
    assert await Contact.all().count() == 0
    calls = await h.click(uid, buttons(calls)["✅ Save"])
    assert "Contact saved." in texts(calls)
    card = last_text(calls)
    assert "Jean Dupont" in card and "Partner" in card and "Acme" in card
    contact = await Contact.get(last_name="Dupont")
    assert (contact.first_name, str(contact.birthdate)) == ("Jean", "1990-04-25")
    assert contact.responsible_id == alice.id
    # The dialog is over: plain text searches again.
    assert "Contacts matching" in last_text(await h.send(uid, "dupont"))


async def test_a_wrong_answer_is_explained_with_the_core_message_and_asked_again(alice):
    h = Harness()
    uid = alice.telegram_id
    calls = await skip_to(h, uid, await h.send(uid, "/new"), "First name")
    calls = await h.send(uid, "Jean")
    calls = await skip_to(h, uid, calls, "Phones")
    calls = await h.send(uid, "12")
    sent = texts(calls)
    assert "Phones: is not a valid phone number" in sent[0]
    assert "<b>Phones</b>" in sent[-1] and "Skip ▶" in buttons(calls)
    calls = await h.send(uid, "06 12 34 56 78")
    assert "<b>E-mails</b>" in last_text(calls)


async def test_the_last_name_cannot_be_skipped_when_the_first_name_was(alice):
    h = Harness()
    uid = alice.telegram_id
    calls = await skip_to(h, uid, await h.send(uid, "/new"), "Last name")
    assert "Skip ▶" not in buttons(calls)
    serial = NewAction.unpack(buttons(calls)["✖ Cancel"]).serial
    forged_skip = NewAction(action=NewButton.SKIP, serial=serial).pack()
    assert alerts(await h.click(uid, forged_skip)) == ["This button is outdated."]


async def test_cancel_works_anywhere_in_the_dialog(alice):
    h = Harness()
    uid = alice.telegram_id
    calls = await skip_to(h, uid, await h.send(uid, "/new"), "First name")
    await h.send(uid, "Jean")
    assert texts(await h.send(uid, "/cancel")) == ["Cancelled."]
    assert "Contacts matching" in last_text(await h.send(uid, "Jean"))
    # The Cancel button, and /cancel on the summary.
    calls = await h.send(uid, "/new")
    calls = await h.click(uid, buttons(calls)["✖ Cancel"])
    assert texts(calls) == ["The new contact was not saved."]
    calls = await skip_to(h, uid, await h.send(uid, "/new"), "First name")
    calls = await h.send(uid, "Jean")
    for _ in range(20):
        if "✅ Save" in buttons(calls):
            break
        calls = await h.click(uid, buttons(calls)["Skip ▶"])
    save = buttons(calls)["✅ Save"]
    assert texts(await h.send(uid, "/cancel")) == ["Cancelled."]
    assert alerts(await h.click(uid, save)) == ["This button is outdated."]
    assert await Contact.all().count() == 0


async def test_something_else_than_text_is_not_an_answer(alice):
    h = Harness()
    uid = alice.telegram_id
    await h.send(uid, "/new")
    photo = [{"file_id": "p1", "file_unique_id": "p1", "width": 10, "height": 10}]
    calls = await h.feed(h.message(uid, photo=photo))
    assert "Send the answer as a message" in texts(calls)[0]


async def test_a_field_refused_at_save_is_asked_again_then_the_summary(alice):
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    h = Harness()
    uid = alice.telegram_id
    calls = await skip_to(h, uid, await h.send(uid, "/new"), "First name")
    calls = await h.send(uid, "Jean")
    calls = await skip_to(h, uid, calls, "VAT")
    calls = await h.click(uid, buttons(calls)["Skip ▶"])
    assert "✅ Save" in buttons(calls)
    # An administrator makes the field required meanwhile.
    await customfields.update_field(CLI, "vat", {"required": True})
    calls = await h.click(uid, buttons(calls)["✅ Save"])
    sent = texts(calls)
    assert "VAT: is required" in sent[0]
    assert "<b>VAT</b>" in sent[-1] and "Skip ▶" not in buttons(calls)
    calls = await h.send(uid, "FR123")
    assert "VAT: FR123" in last_text(calls)
    calls = await h.click(uid, buttons(calls)["✅ Save"])
    assert "Contact saved." in texts(calls)
    contact = await Contact.get(first_name="Jean")
    assert (await customfields.read_values(contact.id)) == {"vat": ["FR123"]}


async def test_the_dialog_speaks_french(alice):
    await Staff.filter(id=alice.id).update(language="fr")
    h = Harness()
    uid = alice.telegram_id
    calls = await h.send(uid, "/new")
    assert "<b>Nouveau contact</b> · 1/15" in last_text(calls)
    assert "<b>Civilité</b> ?" in last_text(calls)
    assert set(buttons(calls)) == {"Passer ▶", "✖ Annuler"}


# --- one line -------------------------------------------------------------------------------


async def test_a_one_line_new_creates_the_contact_and_its_company(alice):
    calls = await Harness().send(
        alice.telegram_id, "/new Jean Dupont +33 6 12 34 56 78 jean@x.fr Acme"
    )
    card = last_text(calls)
    assert "Jean Dupont" in card and "jean@x.fr" in card and "Acme" in card
    assert 'href="tel:+33612345678"' in card
    assert await Company.filter(title="Acme").count() == 1


async def test_a_one_line_new_without_a_name_explains_itself(alice):
    calls = await Harness().send(alice.telegram_id, "/new 06 12 34 56 78")
    text = texts(calls)[0]
    assert "a first or a last name is required" in text and "/new Jean Dupont" in text
    assert await Contact.all().count() == 0


async def test_a_phone_typed_06_matches_a_stored_plus_33_and_is_shown_first(alice):
    jean = await _jean()
    h = Harness()
    calls = await h.send(alice.telegram_id, "/new Jean Dupont 06 12 34 56 78")
    text = last_text(calls)
    assert "looks like a contact you already have" in text
    assert f"<b>Jean Dupont</b> <code>#{jean.id}</code> has the same phone +33612345678" in text
    labels = buttons(calls)
    assert labels["Open Jean Dupont"] == f"c:open:{jean.id}:0:0"
    assert {"Merge into Jean Dupont", "Create anyway", "Don't add it"} <= set(labels)
    assert await Contact.all().count() == 1


# --- each duplicate button --------------------------------------------------------------------


async def test_open_shows_the_existing_card_and_the_draft_stays_pending(alice):
    jean = await _jean()
    h = Harness()
    uid = alice.telegram_id
    pending = await h.send(uid, "/new Jean Dupont 06 12 34 56 78 jean@x.fr")
    opened = await h.click(uid, buttons(pending)["Open Jean Dupont"])
    assert f"<code>#{jean.id}</code>" in last_text(opened)
    merged = await h.click(uid, buttons(pending)["Merge into Jean Dupont"])
    assert "Merged into" in texts(merged)[0]


async def test_merge_fills_the_existing_contact_without_replacing_anything(alice):
    jean = await _jean(position="CEO")
    h = Harness()
    uid = alice.telegram_id
    pending = await h.send(uid, "/new Jean Dupont 06 12 34 56 78 jean@x.fr Acme")
    calls = await h.click(uid, buttons(pending)["Merge into Jean Dupont"])
    sent = texts(calls)
    assert sent[0] == (
        f"Merged into <b>Jean Dupont</b> <code>#{jean.id}</code>. Added: E-mails, Companies."
    )
    assert "jean@x.fr" in sent[-1] and "Acme" in sent[-1] and "CEO" in sent[-1]
    assert await Contact.all().count() == 1
    again = await h.click(uid, buttons(pending)["Create anyway"])
    assert alerts(again) == ["This button is outdated."]


async def test_merge_with_nothing_new_says_so(alice):
    await _jean()
    h = Harness()
    uid = alice.telegram_id
    pending = await share(h, uid, "33612345678", "Jean", "Dupont")
    calls = await h.click(uid, buttons(pending)["Merge into Jean Dupont"])
    assert "already had all of this" in texts(calls)[0]


async def test_create_anyway_makes_a_second_contact(alice):
    await _jean()
    h = Harness()
    uid = alice.telegram_id
    pending = await h.send(uid, "/new Jean Dupont 06 12 34 56 78")
    calls = await h.click(uid, buttons(pending)["Create anyway"])
    assert texts(calls)[0] == "Created as a new contact."
    assert await Contact.all().count() == 2
    assert alerts(await h.click(uid, buttons(pending)["Create anyway"])) == [
        "This button is outdated."
    ]
    assert await Contact.all().count() == 2


async def test_dont_add_it_drops_the_draft(alice):
    await _jean()
    h = Harness()
    uid = alice.telegram_id
    pending = await h.send(uid, "/new Jean Dupont 06 12 34 56 78")
    assert texts(await h.click(uid, buttons(pending)["Don't add it"])) == ["Not added."]
    assert await Contact.all().count() == 1


async def test_a_button_of_an_older_pending_draft_is_outdated(alice):
    await _jean(emails=["jean@x.fr"])
    h = Harness()
    uid = alice.telegram_id
    first = await h.send(uid, "/new Jean Dupont 06 12 34 56 78")
    second = await h.send(uid, "/new J jean@x.fr")
    assert alerts(await h.click(uid, buttons(first)["Create anyway"])) == [
        "This button is outdated."
    ]
    await h.click(uid, buttons(second)["Create anyway"])
    assert await Contact.filter(first_name="J").count() == 1
    assert await Contact.all().count() == 2


async def test_a_forged_merge_target_is_refused(alice):
    await _jean()
    other = await contacts.create_contact(CLI, {"first_name": "Paul", "last_name": "Martin"})
    h = Harness()
    uid = alice.telegram_id
    pending = await h.send(uid, "/new Jean Dupont 06 12 34 56 78")
    serial = NewAction.unpack(buttons(pending)["Create anyway"]).serial
    forged = NewAction(action=NewButton.MERGE, serial=serial, id=other.id).pack()
    assert alerts(await h.click(uid, forged)) == ["This button is outdated."]
    assert (await contacts.get_contact(CLI, other.id)).channels == []


async def test_a_duplicate_the_user_may_not_open_is_named_but_not_shown(alice, make_staff):
    me = await make_staff("Me", level=Level.OWN)
    await contacts.create_contact(
        await actor_of(alice),
        {"first_name": "Secret", "last_name": "Agent", "phones": ["+33612345678"]},
    )
    calls = await share(Harness(), me.telegram_id, "+33612345678", "Jean")
    text = last_text(calls)
    assert "a contact you may not open has the same phone" in text
    assert "Secret" not in text and "Agent" not in text
    assert set(buttons(calls)) == {"Create anyway", "Don't add it"}


# --- shared contacts and forwarded messages ---------------------------------------------------


async def test_a_shared_contact_becomes_a_contact(alice):
    calls = await share(Harness(), alice.telegram_id, "33612345678", "Jean", "Dupont")
    assert "Jean Dupont" in last_text(calls)
    contact = await Contact.get(last_name="Dupont")
    card = await contacts.get_contact(CLI, contact.id)
    assert [(c.normalized, c.value_type) for c in card.channels] == [("+33612345678", "MOBILE")]


async def test_a_shared_contact_with_a_known_phone_shows_the_duplicate_first(alice):
    jean = await _jean()
    calls = await share(Harness(), alice.telegram_id, "+33 6 12 34 56 78", "Johnny")
    assert f"<code>#{jean.id}</code> has the same phone" in last_text(calls)
    assert await Contact.all().count() == 1


async def test_hostile_names_are_escaped_everywhere(alice):
    h = Harness()
    uid = alice.telegram_id
    calls = await share(h, uid, "+33612345678", "<b>x</b> & <i>", "Dupont")
    assert ESCAPED in last_text(calls) and "<b>x</b>" not in last_text(calls)
    calls = await share(h, uid, "+33612345678", "<b>x</b> & <i>", "Dupont")
    text = last_text(calls)
    assert text.count(ESCAPED) == 2 and "<i>" not in text
    assert "Open <b>x</b> & <i> Dupont" in buttons(calls)  # button labels are plain text


async def test_a_forwarded_message_adds_its_sender_with_the_username(alice):
    origin = {
        "type": "user",
        "sender_user": {
            "id": 777,
            "is_bot": False,
            "first_name": "Marie",
            "last_name": "Curie",
            "username": "mcurie",
        },
    }
    calls = await forward(Harness(), alice.telegram_id, origin)
    assert "Marie Curie" in last_text(calls) and "@mcurie" in last_text(calls)


async def test_a_forward_from_a_hidden_account_adds_the_name_only(alice):
    calls = await forward(
        Harness(), alice.telegram_id, {"type": "hidden_user", "sender_user_name": "Pierre Curie"}
    )
    assert "Pierre Curie" in last_text(calls)
    assert (await Contact.get(last_name="Curie")).first_name == "Pierre"


async def test_a_forward_from_a_channel_is_refused_politely(alice):
    origin = {
        "type": "channel",
        "chat": {"id": -100123, "type": "channel", "title": "News"},
        "message_id": 5,
    }
    calls = await forward(Harness(), alice.telegram_id, origin)
    assert "comes from a channel or a group" in texts(calls)[0]
    assert await Contact.all().count() == 0


# --- .vcf files -------------------------------------------------------------------------------

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first}\r\n{extra}END:VCARD\r\n"


def vcf(*cards: tuple[str, str, str]) -> bytes:
    return "".join(CARD.format(last=a, first=b, extra=c) for a, b, c in cards).encode()


async def test_a_vcf_with_one_card_is_created_like_a_shared_contact(alice):
    data = vcf(("Dupont", "Jean", "TEL;TYPE=CELL:06 12 34 56 78\r\nORG:Acme\r\n"))
    calls = await Harness().document(alice.telegram_id, "jean.vcf", data)
    assert "Jean Dupont" in last_text(calls) and "Acme" in last_text(calls)


async def test_a_vcf_with_several_cards_is_summarised_and_its_duplicates_asked(alice):
    jean = await _jean()
    data = vcf(
        ("Martin", "Paul", "TEL:01 40 00 00 00\r\n"),
        ("Dupont", "J.", "TEL:06 12 34 56 78\r\n"),
        ("Bad", "Mail", "EMAIL:nope\r\n"),
        ("Dupont", "Jean", ""),
    )
    h = Harness()
    uid = alice.telegram_id
    calls = await h.document(uid, "team.vcf", data)
    sent = texts(calls)
    assert sent[0].startswith(
        "<b>team.vcf</b>: 1 created, 2 look like existing contacts, 1 could not be added."
    )
    assert "Paul Martin" in sent[0] and "card 3: E-mails:" in sent[0]
    assert "2 contacts from the file are waiting" in sent[1]
    assert f"<code>#{jean.id}</code> has the same phone" in sent[1]
    assert "Don't add any of the 2" in buttons(calls)
    calls = await h.click(uid, buttons(calls)["Create anyway"])
    assert texts(calls)[0] == "Created as a new contact."
    assert f"<code>#{jean.id}</code> has the same name" in last_text(calls)
    calls = await h.click(uid, buttons(calls)["Don't add it"])
    assert texts(calls) == ["Not added."]
    assert await Contact.all().count() == 3


async def test_the_duplicates_of_a_file_can_all_be_dropped(alice):
    await _jean()
    data = vcf(("Dupont", "Jean", ""), ("Dupont", "J", "TEL:0612345678\r\n"))
    h = Harness()
    calls = await h.document(alice.telegram_id, "dups.vcf", data)
    calls = await h.click(alice.telegram_id, buttons(calls)["Don't add any of the 2"])
    assert texts(calls) == ["Not added: 2 contacts."]
    assert await Contact.all().count() == 1


async def test_a_broken_vcf_is_explained(alice):
    h = Harness()
    calls = await h.document(alice.telegram_id, "broken.vcf", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "could not be read: contains no contact card" in texts(calls)[0]
    garbage = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Dupont;Jean\r\n<b>garbage</b>\r\nEND:VCARD\r\n"
    calls = await h.document(alice.telegram_id, "garbage.vcf", garbage)
    assert "could not be read" in texts(calls)[0] and "<b>garbage" not in texts(calls)[0]
    assert await Contact.all().count() == 0


async def test_a_vcf_over_1_mb_is_refused_before_reading(alice):
    data = b"BEGIN:VCARD\r\n" + b"N:A;B\r\n" * 150_000 + b"END:VCARD\r\n"
    calls = await Harness().document(alice.telegram_id, "big.vcf", data)
    assert "larger than 1 MB" in texts(calls)[0]


async def test_a_file_that_is_not_a_vcard_is_left_alone(alice):
    calls = await Harness().document(
        alice.telegram_id, "report.pdf", b"%PDF-1.4", mime_type="application/pdf"
    )
    assert not any(isinstance(c, SendMessage) and "vcf" in (c.text or "") for c in calls)
    assert await Contact.all().count() == 0


# --- rights and languages ---------------------------------------------------------------------


async def test_staff_without_the_add_right_are_told_so_on_every_path(make_staff):
    reader = await make_staff("Reader", levels={"read": Level.ALL}, level=Level.NONE)
    h = Harness()
    uid = reader.telegram_id
    for calls in (
        await h.send(uid, "/new"),
        await h.send(uid, "/new Jean Dupont 0612345678"),
        await share(h, uid, "+33612345678", "Jean"),
        await h.document(uid, "x.vcf", vcf(("Dupont", "Jean", ""), ("Martin", "Paul", ""))),
    ):
        assert texts(calls) == ["You don't have the right to do that: you may not add contacts"], (
            texts(calls)
        )
    assert await Contact.all().count() == 0


async def test_duplicates_are_offered_in_french(alice):
    await Staff.filter(id=alice.id).update(language="fr")
    await _jean()
    calls = await Harness().send(alice.telegram_id, "/new Jean Dupont 06 12 34 56 78")
    assert "ressemble à un contact que vous avez déjà" in last_text(calls)
    assert {"Ouvrir Jean Dupont", "Fusionner dans Jean Dupont", "Créer quand même"} <= set(
        buttons(calls)
    )


# --- several bot processes ----------------------------------------------------------------------


async def test_drafts_wait_in_redis_and_another_process_finishes_them(alice, redis_url):
    await _jean()
    # A fresh user id per run: the keys of an earlier run cannot leak in.
    alice.telegram_id = 20_000_000 + uuid.uuid4().int % 1_000_000
    await alice.save()
    uid = alice.telegram_id
    one, two = Harness(storage=build_storage(redis_url)), Harness(storage=build_storage(redis_url))
    try:
        pending = await one.send(uid, "/new Jean Dupont 06 12 34 56 78 jean@x.fr")
        merged = await two.click(uid, buttons(pending)["Merge into Jean Dupont"])
        assert "Added: E-mails" in texts(merged)[0]
        calls = await skip_to(one, uid, await one.send(uid, "/new"), "First name")
        calls = await two.send(uid, "Paul")
        assert "<b>Middle name</b>" in last_text(calls)
        await one.send(uid, "/cancel")
    finally:
        await one.storage.close()
        await two.storage.close()
