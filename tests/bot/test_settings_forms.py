"""/settings → Web forms: list, open, edit each setting, API key, disable, create; checked in the
database; refusals, the core's messages, escaping and French."""

import re

import pytest

from bot.handlers.settings import SettingsMenu
from bot.handlers.settings_forms import FormAction
from crm import webforms
from crm.errors import NotFoundError
from crm.staff import update_profile
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
    await admin.click(FormAction(a="open", id=form.id).pack())


async def test_a_staff_member_without_the_settings_right_is_refused(make_staff):
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    form = await _contact_form()
    for data in (
        SettingsMenu(to="forms").pack(),
        FormAction(a="open", id=form.id).pack(),
        FormAction(a="add").pack(),
        FormAction(a="keyok", id=form.id).pack(),
        FormAction(a="offok", id=form.id).pack(),
        FormAction(a="policy", id=form.id, v=0).pack(),
    ):
        await plain.click(data)
        assert "right" in plain.text
        assert buttons(plain.last) == {}
    form = await _contact_form()
    assert (form.is_active, form.api_key_hash, form.dedup_policy) == (True, None, "merge")


async def test_the_list_shows_each_form_with_its_state_and_submissions(alice, cli_actor):
    await webforms.create_form(cli_actor, {"slug": "leads", "title": "Leads"})
    await webforms.disable_form(cli_actor, "leads")
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
    await alice.click(SettingsMenu(to="forms").pack())
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
    await webforms.edit_form(cli_actor, "contact", {"responsible_queue": [bob.id, dave.id]})
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
    assert await webforms.verify_api_key("contact", key)
    assert key not in (await _contact_form()).api_key_hash

    await _open(alice)
    assert key not in alice.text and "API key: <b>set</b>" in alice.text
    await alice.press("🔑 New API key")  # replacing a key asks first
    assert "current key are refused" in alice.text
    assert await webforms.verify_api_key("contact", key)
    await alice.press("Yes, make a new key")
    new = KEY.search(alice.text)
    assert new and new.group(1) != key
    assert not await webforms.verify_api_key("contact", key)
    assert await webforms.verify_api_key("contact", new.group(1))

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
        await webforms.get_public_form("contact")
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
    await webforms.edit_form(
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
    await alice.click(SettingsMenu(to="forms").pack())
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
    await alice.click(SettingsMenu(to="forms").pack())
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
