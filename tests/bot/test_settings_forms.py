"""/settings → Web forms: list, open, edit each setting, API key, disable, create; checked in the
database; refusals, the core's messages, escaping and French."""

import re
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod

from bot.handlers.settings.dialog import MenuScreen, SettingsMenu
from bot.handlers.settings.form_fields import FormFieldAction, FormFieldStep, fingerprint
from bot.handlers.settings.forms import FormAction, FormStep
from crm import customfields
from crm.errors import NotFoundError
from crm.rules.webforms import CONTACT_TARGETS, MAX_FIELDS
from crm.staff import update_profile
from crm.webforms import definitions
from models import FormSubmission, HistoryEntry, WebForm
from models.enums import Level
from tests.bot.harness import Harness, buttons
from tests.bot.test_settings import ESCAPED, HOSTILE, Admin
from tests.conftest import actor_of

KEY = re.compile(r"<code>([A-Za-z0-9_-]{40,})</code>")


@pytest.fixture
async def alice(make_staff) -> Admin:
    return Admin(await make_staff("Alice", admin=True))


async def _contact_form() -> WebForm:
    return await WebForm.get(slug="contact")


async def _open(admin: Admin, slug: str = "contact") -> None:
    form = await WebForm.get(slug=slug)
    await admin.click(FormAction(action=FormStep.OPEN, form_id=form.id).pack())


async def test_a_staff_member_without_the_settings_right_is_refused(make_staff):
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    form = await _contact_form()
    for data in (
        SettingsMenu(screen=MenuScreen.FORMS).pack(),
        FormAction(action=FormStep.OPEN, form_id=form.id).pack(),
        FormAction(action=FormStep.ADD).pack(),
        FormAction(action=FormStep.CONFIRM_NEW_KEY, form_id=form.id).pack(),
        FormAction(action=FormStep.CONFIRM_DISABLE, form_id=form.id).pack(),
        FormAction(action=FormStep.POLICY, form_id=form.id, choice=0).pack(),
    ):
        await plain.click(data)
        assert "right" in plain.text
        assert buttons(plain.last) == {}
    form = await _contact_form()
    assert (form.is_active, form.api_key_hash, form.dedup_policy) == (True, None, "merge")


async def test_the_list_shows_each_form_with_its_state_and_submissions(alice, cli_actor):
    await definitions.create_form(cli_actor, {"slug": "leads", "title": "Leads"})
    await definitions.disable_form(cli_actor, "leads")
    await FormSubmission.create(form=await _contact_form(), payload={"name": "Jean"})

    await alice.send("/settings")
    await alice.press("Web forms")
    assert "<b>Contact us</b> <code>contact</code> — 1 submission" in alice.text
    assert "<s>Leads</s> <code>leads</code> — <i>disabled</i>, 0 submissions" in alice.text
    assert {"Contact us · contact", "⛔ Leads · leads", "➕ New form"} <= set(buttons(alice.last))


async def test_a_form_screen_shows_every_setting_and_its_address(make_staff):
    harness = Harness()
    harness.dp["public_url"] = "https://crm.example.com"
    alice = Admin(await make_staff("Alice", admin=True), harness)
    await alice.click(SettingsMenu(screen=MenuScreen.FORMS).pack())
    await alice.press("Contact us · contact")
    text = alice.text
    assert "📝 <b>Contact us</b>" in text
    assert "Address: <code>contact</code>" in text
    assert "Hosted page: https://crm.example.com/forms/contact" in text
    assert "Each lead creates: a contact" in text
    assert "Duplicates: <b>merge</b>, the known contact's empty fields are filled" in text
    assert "the active administrators take turns" in text
    assert "Consent: <b>required</b>, «I agree that the data" in text
    assert "After a post: the text «Thank you!" in text
    assert "Allowed origins: —" in text and "API key: none" in text
    assert "Fields: Name*, Phone, E-mail, Message" in text
    assert "Disabled" not in text

    plain = Admin(alice.staff)  # no PUBLIC_URL: the path only
    await _open(plain)
    assert "Hosted page: /forms/contact" in plain.text


async def test_a_bad_title_shows_the_core_message_and_a_good_one_is_saved(alice):
    await _open(alice)
    await alice.press("✏️ Title")
    assert "Send the new title of «Contact us»" in alice.text
    await alice.send("x" * 300)
    assert "Title: is longer than 200 characters" in alice.text
    assert (await _contact_form()).title == "Contact us"
    await alice.send("Call me back")
    assert "✅ Saved." in alice.text and "📝 <b>Call me back</b>" in alice.text
    form = await _contact_form()
    assert form.title == "Call me back"
    assert await HistoryEntry.exists(entity="web_form", entity_id=form.id, field="title")


async def test_the_duplicate_policy_and_the_scheme_are_chosen_with_buttons(alice):
    await _open(alice)
    await alice.press("👥 Duplicates: merge")
    assert "✓ Merge" in buttons(alice.last)
    await alice.press("Replace")
    assert (await _contact_form()).dedup_policy == "replace"
    assert "👥 Duplicates: replace" in buttons(alice.last)
    await alice.press("👥 Duplicates: replace")
    await alice.press("Allow duplicates")
    assert (await _contact_form()).dedup_policy == "allow"
    await alice.press("🧩 Creates: contact")
    await alice.press("deal + contact")
    assert (await _contact_form()).scheme == "deal"
    assert "Each lead creates: a deal linked to its contact" in alice.text


async def test_staff_are_toggled_in_the_responsible_queue(alice, make_staff, cli_actor):
    bob = await make_staff("Bob")
    carol = await make_staff("Carol")
    dave = await make_staff("Dave", active=False)
    await _open(alice)
    await alice.press("🔁 Responsible queue (0)")
    assert {"⬜ Alice", "⬜ Bob", "⬜ Carol"} <= set(buttons(alice.last))
    assert not any("Dave" in label for label in buttons(alice.last))
    await alice.press("⬜ Carol")
    await alice.press("⬜ Bob")
    assert (await _contact_form()).responsible_queue == [carol.id, bob.id]
    assert "Order: Carol, Bob" in alice.text
    await alice.press("✅ Carol")
    assert (await _contact_form()).responsible_queue == [bob.id]
    await alice.press("◀ Back")
    assert "Responsible queue: Bob" in alice.text

    # A deactivated member still queued is shown, and can be taken out.
    await definitions.edit_form(cli_actor, "contact", {"responsible_queue": [bob.id, dave.id]})
    await _open(alice)
    assert "Responsible queue: Bob, Dave (deactivated)" in alice.text
    await alice.press("🔁 Responsible queue (2)")
    await alice.press("✅ ⛔ Dave")
    assert (await _contact_form()).responsible_queue == [bob.id]


async def test_an_api_key_is_shown_once_then_only_as_set(alice):
    await _open(alice)
    await alice.press("🔑 New API key")
    match = KEY.search(alice.text)
    assert match, alice.text
    key = match.group(1)
    assert "shown only this once" in alice.text and "API key: <b>set</b>" in alice.text
    assert await definitions.verify_api_key("contact", key)
    assert key not in (await _contact_form()).api_key_hash

    await _open(alice)
    assert key not in alice.text and "API key: <b>set</b>" in alice.text
    await alice.press("🔑 New API key")  # replacing a key asks first
    assert "current key are refused" in alice.text
    assert await definitions.verify_api_key("contact", key)
    await alice.press("Yes, make a new key")
    new = KEY.search(alice.text)
    assert new and new.group(1) != key
    assert not await definitions.verify_api_key("contact", key)
    assert await definitions.verify_api_key("contact", new.group(1))

    await alice.press("✖ Remove the API key")
    await alice.press("Yes, remove the key")
    assert "API key: none" in alice.text
    assert (await _contact_form()).api_key_hash is None


async def test_a_form_is_disabled_after_confirmation_and_enabled_again(alice):
    await _open(alice)
    await alice.press("⛔ Disable")
    assert "Disable <b>Contact us</b>?" in alice.text
    assert (await _contact_form()).is_active
    await alice.press("Yes, disable")
    assert not (await _contact_form()).is_active
    assert "⛔ <b>Disabled</b>" in alice.text
    with pytest.raises(NotFoundError):
        await definitions.get_public_form("contact")
    await alice.press("♻️ Enable")
    assert (await _contact_form()).is_active
    assert "Form enabled" in alice.text


async def test_consent_redirect_and_origins_are_set_and_cleared(alice):
    await _open(alice)
    await alice.press("✅ Consent required")
    assert "Consent: not asked" in alice.text
    form = await _contact_form()
    assert not form.consent_required and form.consent_text  # the text is kept for later
    await alice.press("✏️ Consent text")
    await alice.send("I accept\nto be called.")
    await alice.press("⬜ Consent required")
    assert "Consent: <b>required</b>, «I accept\nto be called.»" in alice.text

    await alice.press("↪ Redirect URL")
    await alice.send("javascript:alert(1)")
    assert "Redirect URL: must be an http:// or https:// address" in alice.text
    await alice.send("https://example.com/thanks")
    assert "browsers go to https://example.com/thanks" in alice.text
    assert (await _contact_form()).redirect_url == "https://example.com/thanks"
    await alice.press("↪ Redirect URL")
    await alice.press("✖ No redirect")
    assert (await _contact_form()).redirect_url is None
    assert "After a post: the text" in alice.text

    await alice.press("🌐 Allowed origins")
    await alice.send("https://Shop.example.com/\nhttps://b.example:8443")
    assert (await _contact_form()).allowed_origins == [
        "https://shop.example.com",
        "https://b.example:8443",
    ]
    assert "Allowed origins: https://shop.example.com, https://b.example:8443" in alice.text
    await alice.press("🌐 Allowed origins")
    await alice.press("✖ No allowed origins")
    assert (await _contact_form()).allowed_origins == []


async def test_requiring_consent_without_a_text_asks_for_one(alice, cli_actor):
    await definitions.edit_form(
        cli_actor, "contact", {"consent_required": False, "consent_text": None}
    )
    await _open(alice)
    await alice.press("⬜ Consent required")
    assert "Consent needs a text" in alice.text
    assert not (await _contact_form()).consent_required
    await alice.send("I agree.")
    form = await _contact_form()
    assert (form.consent_required, form.consent_text) == (True, "I agree.")


async def test_a_form_is_created_through_the_dialog(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.FORMS).pack())
    await alice.press("➕ New form")
    assert "address of the new form" in alice.text
    await alice.send("Bad Slug!")
    assert "Address: must be 1 to 64 lower-case letters" in alice.text
    await alice.send("contact")
    assert "Send the title" in alice.text
    await alice.send("Quote request")
    assert "Address: 'contact' is already used by another form" in alice.text
    assert "Send another address" in alice.text
    await alice.send("quote-request")  # the title is remembered

    form = await WebForm.get(slug="quote-request")
    assert form.title == "Quote request"
    assert [f["name"] for f in form.fields_spec] == ["name", "phone", "email", "message"]
    assert (form.consent_required, form.dedup_policy, form.is_active) == (True, "merge", True)
    assert "✅ Form «Quote request» created" in alice.text
    assert "Address: <code>quote-request</code>" in alice.text
    await alice.press("◀ Back")
    assert "<code>quote-request</code>" in alice.text


async def test_html_in_a_title_is_escaped(alice):
    await _open(alice)
    await alice.press("✏️ Title")
    await alice.send(HOSTILE)
    assert ESCAPED in alice.text and HOSTILE not in alice.text
    await alice.click(SettingsMenu(screen=MenuScreen.FORMS).pack())
    assert ESCAPED in alice.text and "<b>x</b>" not in alice.text
    assert f"{HOSTILE} · contact" in buttons(alice.last)


async def test_the_form_screen_speaks_french(alice):
    await update_profile(await actor_of(alice.staff), language="fr")
    await alice.send("/settings")
    await alice.press("Formulaires web")
    assert "<b>Formulaires web</b>" in alice.text and "0 envoi" in alice.text
    await alice.press("Contact us · contact")
    assert "Adresse : <code>contact</code>" in alice.text
    assert "Chaque prospect crée : un contact" in alice.text
    assert "Clé d'API : aucune" in alice.text
    assert {"✏️ Titre", "👥 Doublons : fusion", "⛔ Désactiver"} <= set(buttons(alice.last))
    await alice.press("👥 Doublons : fusion")
    await alice.press("Remplacer")
    assert "✅ Enregistré." in alice.text


# --- the fields editor ----------------------------------------------------------------------


async def _specs(slug: str = "contact") -> list[dict[str, Any]]:
    return (await WebForm.get(slug=slug)).fields_spec


async def _names(slug: str = "contact") -> list[str]:
    return [spec["name"] for spec in await _specs(slug)]


async def _open_field(admin: Admin, label: str) -> None:
    """The form's fields screen, then the field whose button is `label` ("2. Phone")."""
    await _open(admin)
    await admin.press(f"📋 Fields ({len(await _specs())})")
    await admin.press(label)


def _alerts(calls: list[TelegramMethod[Any]]) -> list[str]:
    return [c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]


async def test_the_fields_screen_lists_each_field_and_what_it_feeds(alice):
    await _open(alice)
    assert "not edited" not in alice.text
    await alice.press("📋 Fields (4)")
    text = alice.text
    assert "1. <b>Name</b>* · text (one line) → contact: Full name" in text
    assert "2. <b>Phone</b> · phone → contact: Phone" in text
    assert "4. <b>Message</b> · text (several lines) → contact: Message (comment)" in text
    assert {"1. Name*", "2. Phone", "3. E-mail", "4. Message", "➕ Add a field"} <= set(
        buttons(alice.last)
    )
    await alice.press("1. Name*")
    text = alice.text
    assert "🔹 <b>Name</b>: field 1 of 4 of <b>Contact us</b>" in text
    assert "Input name: <code>name</code>" in text
    assert "Label EN: «Name»" in text and "Label FR: «Nom»" in text
    assert "Placeholder EN: none" in text and "Required: yes" in text
    shown = buttons(alice.last)
    assert "⬇️ Move down" in shown and "⬆️ Move up" not in shown
    assert not any(label.startswith("🔤 Type") for label in shown)  # a name is text only
    await alice.press("◀ Back")
    await alice.press("◀ Back")
    assert "📝 <b>Contact us</b>" in alice.text


async def test_a_field_is_added_for_the_company_and_for_a_custom_field(alice, cli_actor):
    await customfields.create_field(
        cli_actor,
        {"code": "budget", "label": "Budget", "label_fr": "Budget prévu", "type": "string"},
    )
    # A custom field whose code is a reserved input name gets another name.
    await customfields.create_field(
        cli_actor, {"code": "consent", "label": "RGPD", "type": "string"}
    )
    await _open(alice)
    await alice.press("📋 Fields (4)")
    await alice.press("➕ Add a field")
    shown = set(buttons(alice.last))
    assert {"Company", "Website", "First name", "🧩 Budget", "🧩 RGPD"} <= shown
    assert "Phone" not in shown  # the form feeds it already
    await alice.press("Company")
    assert "✅ Field added" in alice.text
    assert "🔹 <b>Company</b>: field 5 of 5" in alice.text
    assert (await _specs())[-1] == {
        "name": "company",
        "type": "text",
        "label": {"en": "Company", "fr": "Entreprise"},
        "required": False,
        "placeholder": {},
        "maps_to": "company",
        "options": [],
    }
    assert "🔤 Type: text (one line)" in buttons(alice.last)  # a company may be a select

    await alice.press("◀ Back")
    assert "5. <b>Company</b> · text (one line) → contact: Company" in alice.text
    await alice.press("➕ Add a field")
    assert "Company" not in buttons(alice.last)
    await alice.press("🧩 Budget")
    assert "Feeds: custom field «Budget»" in alice.text
    spec = (await _specs())[-1]
    assert (spec["name"], spec["type"], spec["maps_to"], spec["required"]) == (
        "budget",
        "text",
        "custom.budget",
        False,
    )
    assert spec["label"] == {"en": "Budget", "fr": "Budget prévu"}
    await alice.press("◀ Back")
    await alice.press("➕ Add a field")
    assert "🧩 Budget" not in buttons(alice.last)
    await alice.press("🧩 RGPD")
    spec = (await _specs())[-1]
    assert (spec["name"], spec["maps_to"]) == ("consent_2", "custom.consent")
    assert await _names() == ["name", "phone", "email", "message", "company", "budget", "consent_2"]
    form = await _contact_form()
    assert await HistoryEntry.exists(entity="web_form", entity_id=form.id, field="fields_spec")


async def test_required_is_toggled_and_a_french_label_is_typed(alice):
    await _open_field(alice, "2. Phone")
    await alice.press("⬜ Required")
    assert "✅ Saved." in alice.text and "Required: yes" in alice.text
    assert (await _specs())[1]["required"] is True
    await alice.press("✏️ Label FR")
    assert "Send the label of «Phone» in French" in alice.text
    await alice.send("Numéro de téléphone")
    assert "Label FR: «Numéro de téléphone»" in alice.text
    assert (await _specs())[1]["label"] == {"en": "Phone", "fr": "Numéro de téléphone"}
    await alice.press("✅ Required")
    assert (await _specs())[1]["required"] is False
    await alice.press("◀ Back")
    assert "2. <b>Phone</b> · phone" in alice.text


async def test_a_bad_label_shows_the_core_message_and_keeps_the_question(alice):
    await _open_field(alice, "2. Phone")
    await alice.press("✏️ Label EN")
    await alice.send("x" * 300)
    assert "label (en) is longer than 200 characters" in alice.text
    assert (await _specs())[1]["label"]["en"] == "Phone"
    await alice.send("Mobile")
    assert (await _specs())[1]["label"]["en"] == "Mobile"


async def test_a_placeholder_is_set_then_cleared(alice):
    await _open_field(alice, "2. Phone")
    await alice.press("💬 Placeholder EN")
    assert "Send the placeholder of «Phone» in English" in alice.text
    await alice.send("+33 6 12 34 56 78")
    assert "Placeholder EN: «+33 6 12 34 56 78»" in alice.text
    assert (await _specs())[1]["placeholder"] == {"en": "+33 6 12 34 56 78"}
    await alice.press("💬 Placeholder EN")
    await alice.press("✖ No placeholder")
    assert "Placeholder EN: none" in alice.text
    assert (await _specs())[1]["placeholder"] == {}
    await alice.send("not a placeholder")  # the question is closed
    assert (await _specs())[1]["placeholder"] == {}


async def test_an_unmapped_field_becomes_a_select_with_options(alice):
    await _open(alice)
    await alice.press("📋 Fields (4)")
    await alice.press("➕ Add a field")
    await alice.press("📥 Nothing: kept on the submission")
    assert "Feeds: nothing (kept on the submission)" in alice.text
    spec = (await _specs())[-1]
    assert (spec["name"], spec["type"], spec["maps_to"]) == ("answer_1", "text", None)
    assert spec["label"] == {"en": "Answer 1", "fr": "Réponse 1"}

    await alice.press("🔤 Type: text (one line)")
    assert len(buttons(alice.last)) == 10  # every type, and Back
    await alice.press("choice list")
    assert "A choice list needs options" in alice.text
    assert (await _specs())[-1]["type"] == "text"  # not before its options
    await alice.send("Small\n\n  Large  ")
    assert "Options: Small, Large" in alice.text
    assert (await _specs())[-1]["type"] == "select"
    assert (await _specs())[-1]["options"] == ["Small", "Large"]
    await alice.press("📋 Options")
    await alice.send("S\nM\nL")
    assert (await _specs())[-1]["options"] == ["S", "M", "L"]

    await alice.press("🔤 Type: choice list")
    await alice.press("checkbox")
    spec = (await _specs())[-1]
    assert (spec["type"], spec["options"]) == ("checkbox", [])  # only a select has options
    await alice.press("◀ Back")
    await alice.press("➕ Add a field")
    await alice.press("📥 Nothing: kept on the submission")
    assert await _names() == ["name", "phone", "email", "message", "answer_1", "answer_2"]


async def test_a_contact_field_offers_only_the_types_that_suit_it(alice):
    await _open_field(alice, "2. Phone")
    await alice.press("🔤 Type: phone")
    assert set(buttons(alice.last)) == {"✓ phone", "text (one line)", "◀ Back"}
    await alice.press("text (one line)")
    assert (await _specs())[1]["type"] == "text"
    form = await _contact_form()
    forged = FormFieldAction(
        action=FormFieldStep.TYPE,
        form_id=form.id,
        position=1,
        fingerprint=fingerprint("phone"),
        choice=7,
    )  # date
    await alice.click(forged.pack())
    assert (await _specs())[1]["type"] == "text"
    assert "changed meanwhile" in _alerts(alice.last)[0]


async def test_a_field_is_moved_up_and_another_removed(alice):
    await _open_field(alice, "3. E-mail")
    await alice.press("⬆️ Move up")
    assert "field 2 of 4" in alice.text
    assert await _names() == ["name", "email", "phone", "message"]
    await alice.press("⬇️ Move down")
    assert await _names() == ["name", "phone", "email", "message"]

    await alice.press("◀ Back")
    await alice.press("4. Message")
    await alice.press("🗑 Remove")
    assert "Remove the field <b>Message</b> from <b>Contact us</b>?" in alice.text
    assert len(await _specs()) == 4
    await alice.press("Yes, remove it")
    assert "✅ Field «Message» removed." in alice.text
    assert await _names() == ["name", "phone", "email"]
    assert "📋 Fields of <b>Contact us</b>" in alice.text


async def test_the_core_refuses_to_remove_the_only_name_field(alice):
    before = await _specs()
    await _open_field(alice, "1. Name*")
    await alice.press("🗑 Remove")
    await alice.press("Yes, remove it")
    assert "one field must feed the contact's name" in alice.text
    assert await _specs() == before


async def test_a_button_pressed_after_a_concurrent_change_is_outdated(alice, cli_actor):
    await _open_field(alice, "3. E-mail")
    stale = buttons(alice.last)
    # Meanwhile another administrator removes the phone: the e-mail is now second.
    specs = await _specs()
    await definitions.edit_form(cli_actor, "contact", {"fields": [specs[0], *specs[2:]]})
    after = await _specs()

    for label in ("⬜ Required", "⬆️ Move up", "🗑 Remove"):
        await alice.click(stale[label])
        assert "changed meanwhile" in _alerts(alice.last)[0]
        assert "📋 Fields of <b>Contact us</b>" in alice.text
        assert await _specs() == after
    # A question asked before the change is answered after it: nothing is saved either.
    await alice.press("2. E-mail")
    await alice.press("✏️ Label FR")
    await definitions.edit_form(cli_actor, "contact", {"fields": [after[0], after[2], after[1]]})
    await alice.send("Courriel")
    assert "changed meanwhile" in alice.text
    assert [s["label"].get("fr") for s in await _specs()] == ["Nom", "Message", "E-mail"]


async def test_html_in_a_label_is_escaped(alice):
    await _open_field(alice, "2. Phone")
    await alice.press("✏️ Label EN")
    await alice.send(HOSTILE)
    assert (await _specs())[1]["label"]["en"] == HOSTILE
    assert f"🔹 <b>{ESCAPED}</b>" in alice.text and HOSTILE not in alice.text
    await alice.press("💬 Placeholder EN")
    await alice.send(HOSTILE)
    assert f"Placeholder EN: «{ESCAPED}»" in alice.text and HOSTILE not in alice.text
    await alice.press("◀ Back")
    assert f"2. <b>{ESCAPED}</b>" in alice.text and HOSTILE not in alice.text
    assert f"2. {HOSTILE}" in buttons(alice.last)  # buttons are plain text
    await alice.press(f"2. {HOSTILE}")
    await alice.press("🗑 Remove")
    assert ESCAPED in alice.text and HOSTILE not in alice.text
    await _open(alice)
    assert ESCAPED in alice.text and HOSTILE not in alice.text


async def test_the_fields_editor_speaks_french(alice):
    await update_profile(await actor_of(alice.staff), language="fr")
    await _open(alice)
    await alice.press("📋 Champs (4)")
    assert "2. <b>Téléphone</b> · téléphone → contact : Téléphone" in alice.text
    await alice.press("2. Téléphone")
    assert "Libellé FR : « Téléphone »" in alice.text
    await alice.press("⬜ Obligatoire")
    assert "✅ Enregistré." in alice.text and "Obligatoire : oui" in alice.text
    await alice.press("◀ Retour")
    await alice.press("➕ Ajouter un champ")
    await alice.press("Entreprise")
    assert "Alimente : contact : Entreprise" in alice.text


async def test_the_fields_editor_refuses_a_staff_member_without_the_settings_right(
    make_staff, cli_actor
):
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    form = await _contact_form()
    before = await _specs()
    phone = {"form_id": form.id, "position": 1, "fingerprint": fingerprint("phone")}
    for data in (
        FormFieldAction(action=FormFieldStep.LIST, form_id=form.id),
        FormFieldAction(action=FormFieldStep.ADD, form_id=form.id),
        FormFieldAction(
            action=FormFieldStep.NEW_FOR_TARGET,
            form_id=form.id,
            choice=CONTACT_TARGETS.index("company"),
        ),
        FormFieldAction(action=FormFieldStep.NEW_FOR_NOTHING, form_id=form.id),
        FormFieldAction(action=FormFieldStep.OPEN, **phone),
        FormFieldAction(action=FormFieldStep.REQUIRED, required=True, **phone),
        FormFieldAction(action=FormFieldStep.UP, **phone),
        FormFieldAction(action=FormFieldStep.ASK, **phone),
        FormFieldAction(action=FormFieldStep.CONFIRM_REMOVE, **phone),
    ):
        await plain.click(data.pack())
        assert "right" in plain.text
        assert buttons(plain.last) == {}
    assert await _specs() == before


async def test_thirty_long_fields_fit_in_one_message(alice, cli_actor):
    specs = []
    for index in range(MAX_FIELDS):
        code = f"c{index}_" + "x" * 60
        await customfields.create_field(
            cli_actor, {"code": code, "label": "É" * 200, "label_fr": "É" * 200, "type": "string"}
        )
        specs.append(
            {
                "name": f"f{index}",
                "type": "textarea",
                "label": {"en": "<" * 200, "fr": '"' * 200},
                "required": True,
                "maps_to": "name" if index == 0 else f"custom.{code}",
            }
        )
    specs[0]["type"] = "text"
    await definitions.edit_form(cli_actor, "contact", {"fields": specs})
    await update_profile(await actor_of(alice.staff), language="fr")
    await _open(alice)  # Admin checks every text against Telegram's limits
    assert "Champs : &quot;&quot;" in alice.text  # not Fluent's "{???}" for a long placeable
    await alice.press(f"📋 Champs ({MAX_FIELDS})")
    assert "30. <b>&quot;" in alice.text
    assert "➕ Ajouter un champ" not in buttons(alice.last)  # the core takes no more
    last = next(data for label, data in buttons(alice.last).items() if label.startswith("30. "))
    await alice.click(last)
    assert "champ 30 sur 30" in alice.text
    await alice.press("🗑 Retirer")
    await alice.press("Oui, le retirer")
    assert "29. <b>" in alice.text and "{???}" not in alice.text
    assert len(await _specs()) == MAX_FIELDS - 1
