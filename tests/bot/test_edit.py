"""Editing a contact and linking it to companies and deals from the bot's card buttons."""

from datetime import date
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod

from bot.callbacks import CardAction, CardButton
from bot.handlers.edit.common import EditAction, EditButton, LinkAction, LinkButton, LinkTarget
from crm import companies, customfields
from crm.contacts import ContactCard, create_contact, link, update_contact
from crm.layout import set_hidden
from models import Channel, Company, Contact, ContactCompany, ContactDeal, ContactType, Staff
from models.enums import ChannelKind, Level
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of

HOSTILE = "<b>x</b> & <i>"
HOSTILE_ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;"


@pytest.fixture
async def alice(make_staff):
    return await make_staff("Alice", admin=True)


async def _jean(staff: Staff, **extra: Any) -> ContactCard:
    data = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "phones": ["06 12 34 56 78", "+33 1 23 45 67 89"],
        "emails": ["jean@example.fr"],
        "position": "Buyer",
        **extra,
    }
    return await create_contact(await actor_of(staff), data, allow_duplicate=True)


def press(calls: list[TelegramMethod[Any]], start: str) -> str:
    """The callback data of the one button (on the last message) whose label starts so."""
    found = [data for label, data in buttons(calls).items() if label.startswith(start)]
    assert len(found) == 1, (start, list(buttons(calls)))
    return found[0]


def alerts(calls: list[TelegramMethod[Any]]) -> list[str]:
    return [c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery)]


async def _open_menu(h: Harness, staff: Staff, card: ContactCard) -> list[TelegramMethod[Any]]:
    data = CardAction(action=CardButton.EDIT, id=card.id, version=card.version).pack()
    return await h.click(staff.telegram_id, data)


async def _channels(contact_id: int, kind: ChannelKind) -> list[tuple[str, str, bool]]:
    rows = await Channel.filter(contact_id=contact_id, kind=kind).order_by("sort", "id")
    return [(c.normalized, c.value_type, c.is_primary) for c in rows]


# --- the menu ---------------------------------------------------------------------------------


async def test_the_menu_lists_layout_fields_hidden_ones_marked_and_custom_fields(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    await set_hidden(actor, "position", True)
    await customfields.create_field(
        actor, {"code": "loyalty_" + "x" * 56, "label": "Loyalty card", "type": "string"}
    )
    calls = await _open_menu(Harness(), alice, jean)
    labels = list(buttons(calls))
    assert "Choose the field to change" in texts(calls)[0]
    assert "hidden on the card" in texts(calls)[0]
    assert "◌ Position: Buyer" in labels
    assert "Loyalty card" in labels
    assert "First name: Jean" in labels
    assert labels.index("First name: Jean") < labels.index("Phones: 06 12 34 56 78 +1")
    assert labels[-1] == "✅ Done"
    # A 64-character field code stays out of the callback data: the field goes by its id.
    assert all(len(data.encode()) <= 64 for data in buttons(calls).values())
    assert len(labels) <= 100


async def test_done_shows_the_card_again(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    calls = await h.click(alice.telegram_id, press(menu, "✅ Done"))
    assert "<b>Jean Dupont</b>" in texts(calls)[0]
    assert "✏️ Edit" in buttons(calls)


# --- typed values -----------------------------------------------------------------------------


async def test_a_text_field_is_edited_with_the_version_shown(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "Position"))
    assert "Send the new <b>Position</b>" in texts(ask)[0]
    assert "Now: <code>Buyer</code>" in texts(ask)[0]
    assert set(buttons(ask)) == {"🧹 Clear", "✖ Cancel"}
    saved = await h.send(alice.telegram_id, "Head of sales")
    assert "✅ Saved." in texts(saved)[0]
    contact = await Contact.get(id=jean.id)
    assert contact.position == "Head of sales"
    assert contact.version == jean.version + 1
    # Back in the menu with the new version: the next edit is not refused as stale.
    ask = await h.click(alice.telegram_id, press(saved, "Position"))
    await h.send(alice.telegram_id, "CEO")
    assert (await Contact.get(id=jean.id)).position == "CEO"


async def test_a_text_field_is_cleared(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "Position"))
    cleared = await h.click(alice.telegram_id, buttons(ask)["🧹 Clear"])
    assert "✅ Saved." in texts(cleared)[0]
    assert (await Contact.get(id=jean.id)).position is None
    # The dialog is over: plain text searches again.
    found = await h.send(alice.telegram_id, "dupont")
    assert "Contacts matching" in texts(found)[0]


async def test_cancel_leaves_the_question_without_saving(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "Position"))
    back = await h.click(alice.telegram_id, buttons(ask)["✖ Cancel"])
    assert "Choose the field to change" in texts(back)[0]
    await h.send(alice.telegram_id, "dupont")
    assert (await Contact.get(id=jean.id)).position == "Buyer"


async def test_the_global_cancel_command_leaves_the_question(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    await h.click(alice.telegram_id, press(menu, "Position"))
    cancelled = await h.send(alice.telegram_id, "/cancel")
    assert texts(cancelled) == ["Cancelled."]
    await h.send(alice.telegram_id, "dupont")
    assert (await Contact.get(id=jean.id)).position == "Buyer"


async def test_an_invalid_birthdate_is_asked_again_with_the_core_message(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "Birthdate"))
    assert "1990-04-25" in texts(ask)[0]
    again = await h.send(alice.telegram_id, "31/02/1990")
    assert "Birthdate: must be a date such as 1990-04-25 or 25/04/1990" in texts(again)[0]
    assert "Send the <b>Birthdate</b> again" in texts(again)[0]
    assert (await Contact.get(id=jean.id)).birthdate is None
    saved = await h.send(alice.telegram_id, "25/04/1990")
    assert "✅ Saved." in texts(saved)[0]
    assert (await Contact.get(id=jean.id)).birthdate == date(1990, 4, 25)


async def test_removing_the_only_name_is_refused_with_the_core_message(alice):
    jean = await _jean(alice, last_name=None)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "First name"))
    calls = await h.click(alice.telegram_id, buttons(ask)["🧹 Clear"])
    assert "a first or a last name is required" in texts(calls)[0]
    assert (await Contact.get(id=jean.id)).first_name == "Jean"


async def test_a_custom_field_is_edited_under_its_own_label(alice):
    actor = await actor_of(alice)
    await customfields.create_field(
        actor, {"code": "seats", "label": "Seats", "label_fr": "Places", "type": "integer"}
    )
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    ask = await h.click(alice.telegram_id, press(menu, "Seats"))
    assert "Send the new <b>Seats</b>" in texts(ask)[0]
    again = await h.send(alice.telegram_id, "many")
    assert "Seats: must be a whole number" in texts(again)[0]
    saved = await h.send(alice.telegram_id, "12")
    assert "Seats: 12" in buttons(saved)
    assert await customfields.read_values(jean.id) == {"seats": [12]}


async def test_a_multiple_list_custom_field_is_toggled_with_buttons(alice):
    actor = await actor_of(alice)
    await customfields.create_field(
        actor,
        {
            "code": "topics",
            "label": "Topics",
            "type": "list",
            "multiple": True,
            "options": [{"key": "hw", "label": "Hardware"}, {"key": "sw", "label": "Software"}],
        },
    )
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    choose = await h.click(alice.telegram_id, press(menu, "Topics"))
    assert "tap a value to add or remove it" in texts(choose)[0]
    one = await h.click(alice.telegram_id, buttons(choose)["Software"])
    assert "✓ Software" in buttons(one)
    two = await h.click(alice.telegram_id, buttons(one)["Hardware"])
    assert await customfields.read_values(jean.id) == {"topics": ["sw", "hw"]}
    await h.click(alice.telegram_id, buttons(two)["✓ Software"])
    assert await customfields.read_values(jean.id) == {"topics": ["hw"]}


async def test_a_boolean_custom_field_is_set_with_yes_and_no(alice):
    actor = await actor_of(alice)
    await customfields.create_field(actor, {"code": "vip", "label": "VIP", "type": "boolean"})
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    choose = await h.click(alice.telegram_id, press(menu, "VIP"))
    saved = await h.click(alice.telegram_id, buttons(choose)["yes"])
    assert "VIP: yes" in buttons(saved)
    assert await customfields.read_values(jean.id) == {"vip": [True]}


# --- choices by button ------------------------------------------------------------------------


async def test_type_responsible_and_opened_are_chosen_with_buttons(alice, make_staff):
    bob = await make_staff("Bob")
    jean = await _jean(alice)
    supplier = await ContactType.get(name="Supplier")
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    types = await h.click(alice.telegram_id, press(menu, "Type"))
    menu = await h.click(alice.telegram_id, buttons(types)["Supplier"])
    assert (await Contact.get(id=jean.id)).type_id == supplier.id
    people = await h.click(alice.telegram_id, press(menu, "Responsible"))
    assert "✓ Alice" in buttons(people)
    menu = await h.click(alice.telegram_id, buttons(people)["Bob"])
    assert (await Contact.get(id=jean.id)).responsible_id == bob.id
    flag = await h.click(alice.telegram_id, press(menu, "Available to everyone"))
    assert "✓ no" in buttons(flag)
    menu = await h.click(alice.telegram_id, buttons(flag)["yes"])
    contact = await Contact.get(id=jean.id)
    assert contact.opened is True
    assert contact.version == jean.version + 3
    assert "Available to everyone: yes" in buttons(menu)


async def test_observers_are_switched_on_and_off(alice, make_staff):
    bob = await make_staff("Bob")
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    people = await h.click(alice.telegram_id, press(menu, "Observers"))
    on = await h.click(alice.telegram_id, buttons(people)["Bob"])
    assert "✓ Bob" in buttons(on)
    assert (await _observers(jean.id)) == [bob.id]
    await h.click(alice.telegram_id, buttons(on)["✓ Bob"])
    assert (await _observers(jean.id)) == []


async def _observers(contact_id: int) -> list[int]:
    from models import ContactObserver

    return list(
        await ContactObserver.filter(contact_id=contact_id).values_list("staff_id", flat=True)
    )


# --- channels ---------------------------------------------------------------------------------


async def test_a_phone_is_added_value_first_then_type(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    phones = await h.click(alice.telegram_id, press(menu, "Phones"))
    ask = await h.click(alice.telegram_id, buttons(phones)["➕ Add"])
    assert "Send the value to add to <b>Phones</b>" in texts(ask)[0]
    kinds = await h.send(alice.telegram_id, "07 81 22 33 44")
    assert set(buttons(kinds)) == {"work", "mobile", "home", "fax", "other", "✖ Cancel"}
    done = await h.click(alice.telegram_id, buttons(kinds)["mobile"])
    assert "✅ Saved." in texts(done)[0]
    assert await _channels(jean.id, ChannelKind.PHONE) == [
        ("+33612345678", "WORK", True),
        ("+33123456789", "WORK", False),
        ("+33781223344", "MOBILE", False),
    ]


async def test_an_invalid_phone_is_asked_again_and_nothing_is_saved(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    phones = await h.click(alice.telegram_id, press(menu, "Phones"))
    await h.click(alice.telegram_id, buttons(phones)["➕ Add"])
    kinds = await h.send(alice.telegram_id, "12")
    again = await h.click(alice.telegram_id, buttons(kinds)["work"])
    assert "Phones:" in texts(again)[0]
    assert "Send the value to add" in texts(again)[0]
    assert len(await _channels(jean.id, ChannelKind.PHONE)) == 2
    kinds = await h.send(alice.telegram_id, "+44 20 7946 0958")
    await h.click(alice.telegram_id, buttons(kinds)["home"])
    assert ("+442079460958", "HOME", False) in await _channels(jean.id, ChannelKind.PHONE)


async def test_a_phone_is_removed(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    phones = await h.click(alice.telegram_id, press(menu, "Phones"))
    one = await h.click(alice.telegram_id, press(phones, "1. 06 12 34 56 78"))
    assert "★ Make primary" not in buttons(one)  # it is the primary one already
    done = await h.click(alice.telegram_id, buttons(one)["🗑 Remove"])
    assert "✅ Saved." in texts(done)[0]
    assert await _channels(jean.id, ChannelKind.PHONE) == [("+33123456789", "WORK", True)]


async def test_a_phone_type_is_changed(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    phones = await h.click(alice.telegram_id, press(menu, "Phones"))
    two = await h.click(alice.telegram_id, press(phones, "2. +33 1 23 45 67 89"))
    assert "✓ work" in buttons(two)
    await h.click(alice.telegram_id, buttons(two)["fax"])
    assert await _channels(jean.id, ChannelKind.PHONE) == [
        ("+33612345678", "WORK", True),
        ("+33123456789", "FAX", False),
    ]


async def test_a_second_email_is_made_primary(alice):
    jean = await _jean(alice, emails=["jean@example.fr", "j.dupont@example.com"])
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    emails = await h.click(alice.telegram_id, press(menu, "E-mails"))
    two = await h.click(alice.telegram_id, press(emails, "2. j.dupont@example.com"))
    done = await h.click(alice.telegram_id, buttons(two)["★ Make primary"])
    assert "1. j.dupont@example.com (work) ★" in texts(done)[0]
    assert await _channels(jean.id, ChannelKind.EMAIL) == [
        ("j.dupont@example.com", "WORK", True),
        ("jean@example.fr", "WORK", False),
    ]


async def test_a_messenger_type_comes_from_the_messenger_types(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    messengers = await h.click(alice.telegram_id, press(menu, "Messengers"))
    await h.click(alice.telegram_id, buttons(messengers)["➕ Add"])
    kinds = await h.send(alice.telegram_id, "@jean_dupont")
    assert set(buttons(kinds)) == {"Telegram", "WhatsApp", "other", "✖ Cancel"}
    await h.click(alice.telegram_id, buttons(kinds)["Telegram"])
    assert await _channels(jean.id, ChannelKind.MESSENGER) == [("jean_dupont", "TELEGRAM", True)]


# --- stale edits, rights, forged buttons ------------------------------------------------------


async def test_a_stale_edit_is_reported_and_the_other_change_is_kept(alice, make_staff):
    bob = await make_staff("Bob")
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    await h.click(alice.telegram_id, press(menu, "Position"))
    # Bob saves the contact while Alice is typing.
    await update_contact(await actor_of(bob), jean.id, {"position": "Bob's"}, jean.version)
    calls = await h.send(alice.telegram_id, "Alice's")
    assert "Someone else changed this contact" in texts(calls)[0]
    open_current = buttons(calls)["Open the current card"]
    assert open_current == CardAction(action=CardButton.OPEN, id=jean.id).pack()
    assert (await Contact.get(id=jean.id)).position == "Bob's"
    card = await h.click(alice.telegram_id, open_current)
    assert "Position: Bob's" in texts(card)[0]
    # The question is over: the next text searches instead of overwriting.
    await h.send(alice.telegram_id, "dupont")
    assert (await Contact.get(id=jean.id)).position == "Bob's"


async def test_a_button_from_a_menu_shown_before_another_change_is_refused(alice, make_staff):
    bob = await make_staff("Bob")
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    await update_contact(await actor_of(bob), jean.id, {"phones": ["07 81 00 00 01"]}, jean.version)
    phones = await h.click(alice.telegram_id, press(menu, "Phones"))
    assert "Someone else changed this contact" in texts(phones)[0]
    # A removal built on the old list would have removed Bob's new number.
    forged = EditAction(
        action=EditButton.REMOVE, id=jean.id, version=jean.version, field="phones", item=0
    ).pack()
    calls = await h.click(alice.telegram_id, forged)
    assert "Someone else changed this contact" in texts(calls)[0]
    assert await _channels(jean.id, ChannelKind.PHONE) == [("+33781000001", "WORK", True)]


async def test_someone_who_may_only_read_gets_the_permission_message(alice, make_staff):
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL})
    jean = await _jean(alice)
    h = Harness()
    for data in (
        CardAction(action=CardButton.EDIT, id=jean.id, version=jean.version).pack(),
        CardAction(action=CardButton.LINK, id=jean.id, version=jean.version).pack(),
        EditAction(
            action=EditButton.CHOOSE, id=jean.id, version=jean.version, field="opened", item=1
        ).pack(),
    ):
        calls = await h.click(reader.telegram_id, data)
        assert "You don't have the right to do that" in texts(calls)[0]
        assert not buttons(calls)
    assert (await Contact.get(id=jean.id)).opened is False


async def test_forged_buttons_for_a_contact_one_may_not_read_reveal_and_change_nothing(
    alice, make_staff
):
    nosy = await make_staff("Nosy", level=Level.OWN)
    jean = await _jean(alice)
    h = Harness()
    for data in (
        EditAction(
            action=EditButton.FIELD, id=jean.id, version=jean.version, field="position"
        ).pack(),
        EditAction(
            action=EditButton.CHOOSE, id=jean.id, version=jean.version, field="opened", item=1
        ).pack(),
        EditAction(
            action=EditButton.CLEAR, id=jean.id, version=jean.version, field="position"
        ).pack(),
        EditAction(
            action=EditButton.REMOVE, id=jean.id, version=jean.version, field="phones", item=0
        ).pack(),
        LinkAction(
            action=LinkButton.UNLINK, id=jean.id, target=LinkTarget.COMPANY, target_id=1
        ).pack(),
    ):
        calls = await h.click(nosy.telegram_id, data)
        assert f"contact #{jean.id} does not exist" in texts(calls)[0]  # as for a missing id
        assert "Dupont" not in " ".join(texts(calls))
    contact = await Contact.get(id=jean.id)
    assert (contact.opened, contact.position, contact.version) == (False, "Buyer", jean.version)


async def test_a_forged_field_or_item_is_refused_as_outdated(alice):
    jean = await _jean(alice)
    h = Harness()
    for data in (
        EditAction(
            action=EditButton.FIELD, id=jean.id, version=jean.version, field="password"
        ).pack(),
        EditAction(action=EditButton.FIELD, id=jean.id, version=jean.version, field="u999").pack(),
        EditAction(
            action=EditButton.CHOOSE, id=jean.id, version=jean.version, field="type_id", item=999
        ).pack(),
        EditAction(
            action=EditButton.CHANNEL, id=jean.id, version=jean.version, field="phones", item=7
        ).pack(),
        EditAction(
            action=EditButton.CHANNEL_TYPE,
            id=jean.id,
            version=jean.version,
            field="phones",
            item=0,
            type_number=9,
        ).pack(),
        EditAction(
            action=EditButton.ADDED_TYPE,
            id=jean.id,
            version=jean.version,
            field="phones",
            type_number=0,
        ).pack(),
    ):
        calls = await h.click(alice.telegram_id, data)
        assert alerts(calls) == ["This button is outdated. Open the card again."]
    assert (await Contact.get(id=jean.id)).version == jean.version


# --- links ------------------------------------------------------------------------------------


async def test_an_existing_company_is_found_by_title_and_linked(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    acme = await companies.create(actor, "company", {"title": "Société Générale Acme"})
    h = Harness()
    menu = await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    assert "Send a company or deal title" in texts(menu)[0]
    found = await h.send(alice.telegram_id, "generale")
    assert "Results for «generale»" in texts(found)[0]
    done = await h.click(alice.telegram_id, buttons(found)["🏢 Société Générale Acme"])
    assert "✅ Linked." in texts(done)[0]
    assert "Société Générale Acme ★" in texts(done)[0]
    link_row = await ContactCompany.get(contact_id=jean.id)
    assert (link_row.company_id, link_row.is_primary) == (acme.pk, True)


async def test_a_deal_is_found_by_title_and_linked(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    deal = await companies.create(actor, "deal", {"title": "Énorme contrat 2026"})
    h = Harness()
    await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    found = await h.send(alice.telegram_id, "enorme")
    done = await h.click(alice.telegram_id, buttons(found)["💼 Énorme contrat 2026"])
    assert "Énorme contrat 2026" in texts(done)[0]
    assert await ContactDeal.exists(contact_id=jean.id, deal_id=deal.pk)


async def test_a_company_is_created_by_title_and_linked(alice):
    jean = await _jean(alice)
    h = Harness()
    await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    found = await h.send(alice.telegram_id, "Nouvelle   Entreprise")
    assert "No company or deal matches" in texts(found)[0]
    done = await h.click(
        alice.telegram_id, buttons(found)["➕ Create company «Nouvelle Entreprise»"]
    )
    assert "Company «Nouvelle Entreprise» created and linked" in texts(done)[0]
    company = await Company.get(title="Nouvelle Entreprise")
    assert await ContactCompany.exists(contact_id=jean.id, company_id=company.id, is_primary=True)


async def test_creating_from_an_outdated_search_creates_nothing(alice):
    jean = await _jean(alice)
    calls = await Harness().click(
        alice.telegram_id, LinkAction(action=LinkButton.CREATE, id=jean.id).pack()
    )
    assert alerts(calls) == ["This search is outdated. Send the title again."]
    assert await Company.all().count() == 0


async def test_a_company_is_unlinked_and_another_made_primary(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    acme = await companies.create(actor, "company", {"title": "Acme"})
    globex = await companies.create(actor, "company", {"title": "Globex"})
    await link(actor, jean.id, "company", acme.pk)
    await link(actor, jean.id, "company", globex.pk)
    h = Harness()
    menu = await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    assert "Acme ★" in texts(menu)[0]
    primary = await h.click(alice.telegram_id, buttons(menu)["★ Make primary"])
    assert "Primary company changed" in texts(primary)[0]
    assert await ContactCompany.exists(contact_id=jean.id, company_id=globex.pk, is_primary=True)
    unlinked = await h.click(alice.telegram_id, buttons(primary)["✖ Unlink Acme"])
    assert "✅ Unlinked." in texts(unlinked)[0]
    assert not await ContactCompany.exists(contact_id=jean.id, company_id=acme.pk)
    card = await h.click(alice.telegram_id, buttons(unlinked)["✅ Done"])
    assert "Companies: Globex ★" in texts(card)[0]


async def test_a_found_company_is_linked_as_primary(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    acme = await companies.create(actor, "company", {"title": "Acme"})
    globex = await companies.create(actor, "company", {"title": "Globex"})
    await link(actor, jean.id, "company", acme.pk)
    h = Harness()
    await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    found = await h.send(alice.telegram_id, "glob")
    await h.click(alice.telegram_id, buttons(found)["★ As primary"])
    assert await ContactCompany.exists(contact_id=jean.id, company_id=globex.pk, is_primary=True)
    assert await ContactCompany.exists(contact_id=jean.id, company_id=acme.pk, is_primary=False)


async def test_the_companies_button_of_the_menu_opens_the_links(alice):
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    assert press(menu, "Companies") == LinkAction(action=LinkButton.MENU, id=jean.id).pack()
    links = await h.click(alice.telegram_id, press(menu, "Companies"))
    assert "Send a company or deal title" in texts(links)[0]


async def test_search_results_hide_companies_and_deals_one_may_not_read(alice, make_staff):
    owner = await make_staff("Owner", level=Level.OWN)
    mine = await make_staff("Mine", level=Level.OWN)
    jean = await _jean(mine)
    await companies.create(await actor_of(owner), "company", {"title": "Secret Acme"})
    await companies.create(await actor_of(owner), "deal", {"title": "Secret deal"})
    h = Harness()
    await h.click(mine.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    found = await h.send(mine.telegram_id, "secret")
    assert "No company or deal matches" in texts(found)[0]
    assert not any(label.startswith(("🏢", "💼")) for label in buttons(found))


# --- languages and escaping -------------------------------------------------------------------


async def test_the_dialogs_speak_french(alice):
    await Staff.filter(id=alice.id).update(language="fr")
    jean = await _jean(alice)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    assert "Choisissez le champ à modifier" in texts(menu)[0]
    assert "Poste : Buyer" in buttons(menu)
    ask = await h.click(alice.telegram_id, press(menu, "Date de naissance"))
    assert "Envoyez la nouvelle valeur de <b>Date de naissance</b>" in texts(ask)[0]
    assert set(buttons(ask)) == {"🧹 Vider", "✖ Annuler"}
    phones = await h.click(alice.telegram_id, CardAction(action=CardButton.EDIT, id=jean.id).pack())
    phones = await h.click(alice.telegram_id, press(phones, "Téléphones"))
    assert "1. 06 12 34 56 78 (travail)" in buttons(phones)
    links = await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    assert "Envoyez le titre d'une entreprise" in texts(links)[0]
    found = await h.send(alice.telegram_id, "Nouvelle")
    assert "Aucune entreprise ni affaire" in texts(found)[0]
    assert "➕ Créer l'entreprise « Nouvelle »" in buttons(found)


async def test_user_text_is_escaped_everywhere_in_the_dialogs(alice):
    jean = await _jean(alice, first_name=HOSTILE, position=HOSTILE)
    h = Harness()
    menu = await _open_menu(h, alice, jean)
    assert HOSTILE_ESCAPED in texts(menu)[0]
    assert f"Position: {HOSTILE}" in buttons(menu)
    ask = await h.click(alice.telegram_id, press(menu, "Position"))
    assert f"<code>{HOSTILE_ESCAPED}</code>" in texts(ask)[0]
    saved = await h.send(alice.telegram_id, HOSTILE + " again")
    assert isinstance(saved[0], SendMessage)
    assert (await Contact.get(id=jean.id)).position == HOSTILE + " again"
    await h.click(alice.telegram_id, CardAction(action=CardButton.LINK, id=jean.id).pack())
    found = await h.send(alice.telegram_id, HOSTILE)
    assert f"«{HOSTILE_ESCAPED}»" in texts(found)[0]
    assert HOSTILE not in texts(found)[0]
    phones = await h.click(alice.telegram_id, CardAction(action=CardButton.EDIT, id=jean.id).pack())
    phones = await h.click(alice.telegram_id, press(phones, "Phones"))
    await h.click(alice.telegram_id, buttons(phones)["➕ Add"])
    kinds = await h.send(alice.telegram_id, HOSTILE)
    assert f"«{HOSTILE_ESCAPED}»" in texts(kinds)[0]
