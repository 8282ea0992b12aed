"""Whole conversations with the real bot over HTTP: adding contacts by every way in, the duplicate
question on each of them, edit conflicts between two staff members, a phone edit and its
history, /settings (types, fields, invites) and a French create flow.

Every reply goes through `ok`: the bot never makes a call Telegram would refuse."""

import re
from collections.abc import Awaitable, Callable

import pytest

from crm import customfields
from crm.actors import actor_for_staff, system_actor
from crm.contacts import ContactCard, create_contact, get_contact
from crm.staff import ensure_admins, update_profile
from models import Company, Contact, ContactType, Staff, StaffRole
from models.enums import ChannelKind, Level
from tests.telegram_stub import FakeUser, Output, Outputs, TelegramStub

ADA = 7001  # an administrator (ADMIN_TELEGRAM_IDS)
CLI = system_actor("cli")
VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first}\r\n{extra}END:VCARD\r\n"


def ok(outputs: Outputs) -> Outputs:
    """The reply to one update, checked: processed, and no call Telegram would have refused."""
    assert outputs.processed
    assert not outputs.errors, [(e.method, e.error, e.text) for e in outputs.errors]
    return outputs


class Chat:
    """A person in a private chat with the bot: what they do, and what they see last."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.last = Outputs()

    async def _see(self, reply: Awaitable[Outputs]) -> Outputs:
        self.last = ok(await reply)
        return self.last

    async def send(self, text: str) -> Outputs:
        return await self._see(self.user.send(text))

    async def tap(self, button: str, on: Output | None = None) -> Outputs:
        """Tap a button of `on`, by default of the last message shown."""
        return await self._see(self.user.click(on or self.message, button))

    async def share_contact(
        self, phone: str, first: str, last: str | None = None, *, vcard: str | None = None
    ) -> Outputs:
        return await self._see(self.user.share_contact(phone, first, last, vcard=vcard))

    async def forward(
        self, text: str, from_user: dict | None = None, *, sender_user_name: str | None = None
    ) -> Outputs:
        return await self._see(
            self.user.forward(text, from_user, sender_user_name=sender_user_name)
        )

    async def send_document(self, name: str, content: bytes, mime: str | None = None) -> Outputs:
        return await self._see(self.user.send_document(name, content, mime))

    @property
    def message(self) -> Output:
        """The last message the bot sent or edited in this chat."""
        shown = [o for o in self.last if o.chat_id is not None and o.text is not None]
        assert shown, f"the bot showed nothing: {[o.method for o in self.last]}"
        return shown[-1]

    @property
    def text(self) -> str:
        return self.message.text_plain or ""

    @property
    def buttons(self) -> list[str]:
        return self.message.button_texts

    async def skip_to(self, question: str, skip: str = "Skip ▶") -> None:
        """Tap Skip until the dialog asks `question` (e.g. "Phones?")."""
        for _ in range(20):
            if question in self.text:
                return
            await self.tap(skip)
        raise AssertionError(f"the dialog never asked {question!r}; last: {self.text!r}")


async def _ada(telegram: TelegramStub, language_code: str = "en") -> tuple[Chat, Staff]:
    """Ada, an administrator, in her chat with the bot."""
    await ensure_admins([ADA])
    admin = await Staff.get(telegram_id=ADA)
    return Chat(telegram.user(ADA, "Ada", language_code=language_code)), admin


async def _jean(**extra) -> ContactCard:
    data = {"first_name": "Jean", "last_name": "Dupont", "phones": ["+33612345678"], **extra}
    return await create_contact(CLI, data, allow_duplicate=True)


def _vcf(*cards: tuple[str, str, str]) -> bytes:
    return "".join(VCARD.format(last=a, first=b, extra=c) for a, b, c in cards).encode()


async def _card(contact: Contact | int) -> ContactCard:
    return await get_contact(CLI, contact if isinstance(contact, int) else contact.id)


async def _values(contact_id: int, kind: ChannelKind) -> list[str]:
    return (await _card(contact_id)).values(kind)


# --- adding contacts, by every way in ---------------------------------------------------------


async def test_the_new_dialog_asks_question_by_question_then_shows_the_saved_card(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    await ada.send("/new")
    assert "Send /cancel at any time to stop" in ada.last.texts[0]
    assert "New contact · 1/15\nHonorific?" in ada.text
    assert ada.buttons == ["Skip ▶", "✖ Cancel"]
    await ada.tap("Skip ▶")
    await ada.send("Jean")
    await ada.skip_to("Last name?")
    await ada.send("Dupont")
    await ada.send("06 12 34 56 78")
    assert "E-mails?" in ada.text
    await ada.send("jean@example.fr")
    await ada.skip_to("Type?")
    await ada.tap("Partner")
    await ada.skip_to("Source details?")
    await ada.tap("Skip ▶")
    assert "check it and save it" in ada.text
    assert "First name: Jean" in ada.text and "Type: Partner" in ada.text
    assert await Contact.all().count() == 0
    await ada.tap("✅ Save")
    assert ada.last.texts[0] == "Contact saved."
    jean = await Contact.get(last_name="Dupont")
    assert f"Jean Dupont  #{jean.id}" in ada.text and "Partner" in ada.text
    assert "✏️ Edit" in ada.buttons
    assert await _values(jean.id, ChannelKind.EMAIL) == ["jean@example.fr"]
    await ada.send("dupont")  # the dialog is over: text searches again
    assert "Contacts matching «dupont»" in ada.text


async def test_a_one_line_new_creates_the_contact_and_links_its_new_company(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    await ada.send("/new Jean Dupont +33 6 12 34 56 78 jean@example.fr Acme")
    assert "Jean Dupont" in ada.text and "jean@example.fr" in ada.text and "Acme" in ada.text
    jean = await Contact.get(last_name="Dupont")
    acme = await Company.get(title="Acme")
    assert [c.company_id for c in (await _card(jean)).companies] == [acme.id]
    assert await _values(jean.id, ChannelKind.PHONE) == ["+33 6 12 34 56 78"]


async def test_a_shared_telegram_contact_becomes_a_contact_with_its_vcard_details(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    vcard = _vcf(("Dupont", "Jean", "EMAIL:jean@example.fr\r\n")).decode()
    await ada.share_contact("33612345678", "Jean", "Dupont", vcard=vcard)
    assert "Jean Dupont" in ada.text and "jean@example.fr" in ada.text
    jean = await Contact.get(last_name="Dupont")
    card = await _card(jean)
    assert [(c.normalized, c.value_type) for c in card.channels if c.kind == ChannelKind.PHONE] == [
        ("+33612345678", "MOBILE")
    ]


async def test_a_forwarded_message_adds_its_sender_with_the_telegram_username(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    marie = {"id": 555, "first_name": "Marie", "last_name": "Curie", "username": "mcurie"}
    await ada.forward("See you on Monday", from_user=marie)
    assert "Marie Curie" in ada.text and "@mcurie" in ada.text
    curie = await Contact.get(last_name="Curie")
    assert await _values(curie.id, ChannelKind.MESSENGER) == ["@mcurie"]


async def test_a_forward_from_a_hidden_account_adds_the_name_only(telegram: TelegramStub):
    ada, _ = await _ada(telegram)
    await ada.forward("See you on Monday", sender_user_name="Pierre Curie")
    assert "Pierre Curie" in ada.text
    pierre = await Contact.get(last_name="Curie")
    assert pierre.first_name == "Pierre"
    assert (await _card(pierre)).channels == []


async def test_a_vcf_file_with_two_cards_is_downloaded_and_both_are_created(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    data = _vcf(
        ("Martin", "Paul", "TEL:01 40 00 00 00\r\n"),
        ("Curie", "Marie", "EMAIL:marie@example.fr\r\nORG:Institut\r\n"),
    )
    await ada.send_document("team.vcf", data, "text/vcard")
    assert ada.text.startswith(
        "team.vcf: 2 created, 0 look like existing contacts, 0 could not be added."
    )
    assert "• Paul Martin #" in ada.text and "• Marie Curie #" in ada.text
    [get_file] = telegram.calls_of("getFile")
    assert get_file.result["file_path"].endswith(".vcf")
    assert sorted(await Contact.all().values_list("last_name", flat=True)) == ["Curie", "Martin"]
    assert await Company.exists(title="Institut")


async def test_cancel_in_the_middle_of_the_dialog_saves_nothing(telegram: TelegramStub):
    ada, _ = await _ada(telegram)
    await ada.send("/new")
    await ada.tap("Skip ▶")
    await ada.send("Jean")
    question = ada.message
    assert "Middle name?" in (question.text_plain or "")
    await ada.send("/cancel")
    assert ada.last.texts == ["Cancelled."]
    outdated = ok(await ada.user.click(question, "Skip ▶"))
    assert outdated.answer_text == "This button is outdated."
    await ada.send("Jean")  # no question waits any more: this is a search
    assert ada.text == "Contacts matching «Jean»\n\nNothing found."
    assert await Contact.all().count() == 0


# --- the duplicate question, on every way in ----------------------------------------------------


async def _by_one_line(ada: Chat) -> None:
    await ada.send("/new Jean Dupont 06 12 34 56 78 jean@example.fr")


async def _by_dialog(ada: Chat) -> None:
    await ada.send("/new")
    await ada.skip_to("First name?")
    await ada.send("Jean")
    await ada.skip_to("Last name?")
    await ada.send("Dupont")
    await ada.send("06 12 34 56 78")
    await ada.send("jean@example.fr")
    await ada.skip_to("check it and save it")
    await ada.tap("✅ Save")


async def _by_shared_contact(ada: Chat, phone: str = "06 12 34 56 78") -> None:
    """A contact shared from the phone's address book: its number as saved there."""
    vcard = _vcf(("Dupont", "Jean", "EMAIL:jean@example.fr\r\n")).decode()
    await ada.share_contact(phone, "Jean", "Dupont", vcard=vcard)


async def _by_shared_telegram_user(ada: Chat) -> None:
    """A Telegram user's own number: international digits without the '+'."""
    await _by_shared_contact(ada, "33612345678")


async def _by_vcf_file(ada: Chat) -> None:
    data = _vcf(
        ("Martin", "Paul", "TEL:01 40 00 00 00\r\n"),
        ("Dupont", "Jean", "TEL:06 12 34 56 78\r\nEMAIL:jean@example.fr\r\n"),
    )
    await ada.send_document("team.vcf", data, "text/vcard")
    assert "1 created, 1 look like existing contacts" in ada.last.texts[0]


@pytest.mark.parametrize(
    "way_in",
    [
        pytest.param(_by_one_line, id="one line"),
        pytest.param(_by_dialog, id="dialog"),
        # A number saved in the phone's address book comes as typed there, national.
        pytest.param(_by_shared_contact, id="shared contact"),
        pytest.param(_by_shared_telegram_user, id="shared Telegram user"),
        pytest.param(_by_vcf_file, id="vcf file"),
    ],
)
async def test_a_phone_typed_06_is_recognised_as_the_stored_plus_33_on_every_way_in(
    telegram: TelegramStub, way_in: Callable[[Chat], Awaitable[None]]
):
    jean = await _jean()
    ada, _ = await _ada(telegram)
    await way_in(ada)
    assert "Jean Dupont looks like a contact you already have:" in ada.text
    assert f"Jean Dupont #{jean.id} has the same phone +33612345678" in ada.text
    assert ada.buttons == [
        "Open Jean Dupont",
        "Merge into Jean Dupont",
        "Create anyway",
        "Don't add it",
    ]
    assert await Contact.filter(last_name="Dupont").count() == 1


async def test_a_forwarded_sender_with_a_known_username_is_recognised(telegram: TelegramStub):
    jean = await _jean(messengers=["@jdupont"])
    ada, _ = await _ada(telegram)
    await ada.forward("Hi", from_user={"id": 556, "first_name": "J.", "username": "jdupont"})
    assert f"Jean Dupont #{jean.id} has the same Telegram username" in ada.text
    await ada.tap("Open Jean Dupont")
    assert f"Jean Dupont  #{jean.id}" in ada.text
    assert await Contact.all().count() == 1


async def test_open_shows_the_existing_card_and_the_new_contact_still_waits(
    telegram: TelegramStub,
):
    jean = await _jean()
    ada, _ = await _ada(telegram)
    await _by_one_line(ada)
    warning = ada.message
    await ada.tap("Open Jean Dupont")
    assert f"Jean Dupont  #{jean.id}" in ada.text and "Phones: +33612345678" in ada.text
    assert await Contact.all().count() == 1
    await ada.tap("Don't add it", on=warning)
    assert ada.last.texts == ["Not added."]
    assert await Contact.all().count() == 1


async def test_merge_gives_the_existing_contact_the_new_email_and_makes_no_second_one(
    telegram: TelegramStub,
):
    jean = await _jean()
    ada, _ = await _ada(telegram)
    await _by_dialog(ada)
    await ada.tap("Merge into Jean Dupont")
    assert ada.last.texts[0] == f"Merged into Jean Dupont #{jean.id}. Added: E-mails."
    assert "jean@example.fr" in ada.text
    assert await Contact.all().count() == 1
    assert await _values(jean.id, ChannelKind.EMAIL) == ["jean@example.fr"]
    assert await _values(jean.id, ChannelKind.PHONE) == ["+33612345678"]


async def test_create_anyway_makes_a_second_contact(telegram: TelegramStub):
    jean = await _jean()
    ada, _ = await _ada(telegram)
    await _by_shared_telegram_user(ada)
    warning = ada.message
    [create] = [b for row in warning.buttons for b in row if b.text == "Create anyway"]
    await ada.tap("Create anyway")
    assert ada.last.texts[0] == "Created as a new contact."
    twin = await Contact.filter(last_name="Dupont").exclude(id=jean.id).get()
    assert f"Jean Dupont  #{twin.id}" in ada.text
    # A second tap that was on its way before the buttons went away creates nothing more.
    assert create.callback_data is not None and warning.message_id is not None
    again = ok(await ada.user.click_raw(warning.message_id, create.callback_data))
    assert again.answer_text == "This button is outdated."
    assert await Contact.filter(last_name="Dupont").count() == 2


async def test_merging_a_vcf_duplicate_completes_the_existing_contact(telegram: TelegramStub):
    jean = await _jean()
    ada, _ = await _ada(telegram)
    await _by_vcf_file(ada)
    await ada.tap("Merge into Jean Dupont")
    assert ada.last.texts[0] == f"Merged into Jean Dupont #{jean.id}. Added: E-mails."
    assert sorted(await Contact.all().values_list("last_name", flat=True)) == ["Dupont", "Martin"]
    assert await _values(jean.id, ChannelKind.EMAIL) == ["jean@example.fr"]


# --- two staff members editing the same contact -------------------------------------------------


async def test_an_edit_made_meanwhile_by_someone_else_is_not_overwritten(
    telegram: TelegramStub, make_staff
):
    ada, _ = await _ada(telegram)
    bob_staff = await make_staff("Bob", level=Level.ALL)
    bob = Chat(telegram.user(bob_staff.telegram_id, "Bob"))
    jean = await _jean(position="Buyer")

    await ada.send(f"/start c{jean.id}")
    await ada.tap("✏️ Edit")
    assert "Choose the field to change" in ada.text
    await ada.tap("Position: Buyer")
    assert "Send the new Position" in ada.text

    await bob.send(f"/start c{jean.id}")
    await bob.tap("✏️ Edit")
    await bob.tap("Position: Buyer")
    await bob.send("Head of sales")
    assert "✅ Saved." in bob.text

    await ada.send("CFO")
    assert "Someone else changed this contact after you opened it" in ada.text
    contact = await Contact.get(id=jean.id)
    assert (contact.position, contact.version) == ("Head of sales", jean.version + 1)
    await ada.tap("Open the current card")
    assert "Head of sales" in ada.text and "CFO" not in ada.text
    await ada.send("CFO")  # the question is over: this searches, it overwrites nothing
    assert (await Contact.get(id=jean.id)).position == "Head of sales"


# --- a phone edit and the history ---------------------------------------------------------------


async def test_a_second_phone_made_primary_shows_in_the_history_before_and_after(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    jean = await _jean(phones=["06 12 34 56 78"])
    await ada.send(f"/start c{jean.id}")
    await ada.tap("✏️ Edit")
    await ada.tap("Phones: 06 12 34 56 78")
    await ada.tap("➕ Add")
    assert "Send the value to add to Phones" in ada.text
    await ada.send("07 81 22 33 44")
    assert "What kind is «07 81 22 33 44»?" in ada.text
    await ada.tap("mobile")
    assert "✅ Saved." in ada.text and "2. 07 81 22 33 44 (mobile)" in ada.text
    await ada.tap("2. 07 81 22 33 44 (mobile)")
    await ada.tap("★ Make primary")
    assert "1. 07 81 22 33 44 (mobile) ★" in ada.text
    card = await _card(jean.id)
    assert [(c.normalized, c.is_primary) for c in card.channels] == [
        ("+33781223344", True),
        ("+33612345678", False),
    ]
    await ada.tap("◀ Back")
    await ada.tap("✅ Done")
    await ada.tap("History")
    changes = [
        re.sub(r" \(\w+\)", "", line.strip())  # without the value types: the order matters
        for line in ada.text.splitlines()
        if line.strip().startswith("Phones:")
    ]
    assert changes == [  # newest first
        "Phones: 06 12 34 56 78, 07 81 22 33 44 → 07 81 22 33 44, 06 12 34 56 78",
        "Phones: 06 12 34 56 78 → 06 12 34 56 78, 07 81 22 33 44",
    ]


# --- settings -----------------------------------------------------------------------------------


async def test_a_type_and_a_field_added_in_settings_are_asked_by_the_new_dialog(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    await ada.send("/settings")
    await ada.tap("Contact types (3)")
    await ada.tap("➕ Add a type")
    await ada.send("Reseller")
    assert "Contact type «Reseller» added." in ada.text
    await ada.tap("◀ Back")
    await ada.tap("Custom fields (0)")
    await ada.tap("➕ Add a field")
    await ada.send("Loyalty card")
    await ada.tap("text (one line)")
    await ada.tap("No")  # required?
    await ada.tap("No")  # several values?
    await ada.tap("No")  # shown in the filters?
    assert "Field added." in ada.text

    await ada.send("/new")
    await ada.skip_to("First name?")
    await ada.send("Jean")
    await ada.skip_to("Type?")
    assert "Reseller" in ada.buttons
    await ada.tap("Reseller")
    await ada.skip_to("Loyalty card?")
    await ada.send("LC-42")
    assert "Type: Reseller" in ada.text and "Loyalty card: LC-42" in ada.text
    await ada.tap("✅ Save")
    assert "Reseller" in ada.text and "Loyalty card: LC-42" in ada.text
    jean = await Contact.get(first_name="Jean")
    assert (await ContactType.get(id=jean.type_id)).name == "Reseller"
    assert await customfields.read_values(jean.id) == {"loyalty_card": ["LC-42"]}
    await ada.tap("✏️ Edit")
    assert "Loyalty card: LC-42" in ada.buttons


async def test_an_invite_made_in_settings_lets_a_newcomer_join_and_search(
    telegram: TelegramStub,
):
    ada, _ = await _ada(telegram)
    await _jean()
    await ada.send("/settings")
    await ada.tap("Invite link")
    await ada.tap("Director")
    found = re.search(r"https://t\.me/carnet_test_bot\?start=inv_([\w-]+)", ada.text)
    assert found, ada.text
    nina = Chat(telegram.user(8001, "Nina", "Petit"))
    await nina.send(f"/start inv_{found[1]}")
    assert "Welcome, Nina Petit!" in nina.text
    newcomer = await Staff.get(telegram_id=8001)
    assert newcomer.is_active and await StaffRole.exists(
        staff_id=newcomer.id, role__name="Director"
    )
    await nina.send("dupont")
    assert "Contacts matching «dupont»" in nina.text
    assert "1. Jean Dupont" in nina.buttons


async def test_settings_are_refused_to_staff_without_the_settings_right(
    telegram: TelegramStub, make_staff
):
    bob_staff = await make_staff("Bob", level=Level.ALL)
    bob = Chat(telegram.user(bob_staff.telegram_id, "Bob"))
    await bob.send("/settings")
    assert "You don't have the right to do that" in bob.text
    assert bob.buttons == []


# --- French -------------------------------------------------------------------------------------


async def test_a_french_staff_member_adds_a_contact_in_french(telegram: TelegramStub):
    ada, admin = await _ada(telegram, language_code="fr")
    await update_profile(await actor_for_staff(admin), language="fr")
    await ada.send("/new")
    assert "Répondez à chaque question, ou touchez Passer" in ada.last.texts[0]
    assert "Nouveau contact · 1/15\nCivilité ?" in ada.text
    assert ada.buttons == ["Passer ▶", "✖ Annuler"]
    await ada.skip_to("Prénom ?", skip="Passer ▶")
    await ada.send("Jeanne")
    await ada.skip_to("Nom ?", skip="Passer ▶")
    await ada.send("Moreau")
    assert "Téléphones ?" in ada.text
    await ada.send("06 12 34 56 78")
    await ada.skip_to("vérifiez-le et enregistrez-le", skip="Passer ▶")
    assert "Prénom: Jeanne" in ada.text and "Téléphones: 06 12 34 56 78" in ada.text
    await ada.tap("✅ Enregistrer")
    assert ada.last.texts[0] == "Contact enregistré."
    assert "Jeanne Moreau" in ada.text and "À propos du contact" in ada.text
    assert "Créé le" in ada.text and "✏️ Modifier" in ada.buttons
    jeanne = await Contact.get(last_name="Moreau")
    assert await _values(jeanne.id, ChannelKind.PHONE) == ["06 12 34 56 78"]
