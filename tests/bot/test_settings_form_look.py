"""/settings → Web forms → a form: its texts per language and the look of its page (the
company's name, accent colour and logo), through the Bot API stand-in (issue 12, hole 7)."""

import pytest

from bot.handlers.settings.form_look import FormLookAction, FormLookStep
from bot.handlers.settings.forms import FormAction, FormStep
from crm.staff import update_profile
from models import HistoryEntry, WebForm
from models.enums import Level
from tests.bot.harness import buttons
from tests.bot.test_settings import ESCAPED, HOSTILE, Admin
from tests.conftest import actor_of


@pytest.fixture
async def alice(make_staff) -> Admin:
    return Admin(await make_staff("Alice", admin=True))


async def _form() -> WebForm:
    return await WebForm.get(slug="contact")


async def _open(admin: Admin) -> None:
    await admin.click(FormAction(action=FormStep.OPEN, form_id=(await _form()).id).pack())


async def test_each_text_is_written_per_language_and_a_version_removed(alice):
    await _open(alice)
    await alice.press("🌍 Texts per language")
    text = alice.text
    assert "🌍 Texts of <b>Contact us</b>" in text and "team's language (EN)" in text
    assert "EN: «Contact us»" in text
    assert "FR: not written, French visitors read «Contactez-nous»" in text
    assert {"✏️ Title EN", "✏️ Title FR", "✏️ Consent FR", "✏️ Thanks FR"} <= set(buttons(alice.last))

    await alice.press("✏️ Title FR")
    assert "title of «Contact us» in French" in alice.text
    await alice.send("x" * 201)
    assert "Texts per language: fr title is longer than 200 characters" in alice.text
    await alice.send("Écrivez-nous")
    assert "✅ Saved." in alice.text and "FR: «Écrivez-nous»" in alice.text
    assert (await _form()).translations == {"fr": {"title": "Écrivez-nous"}}
    assert await HistoryEntry.exists(entity="web_form", field="translations")

    await alice.press("✏️ Thanks FR")
    await alice.send("Merci <b>beaucoup</b>")
    assert "FR: «Merci &lt;b&gt;beaucoup&lt;/b&gt;»" in alice.text

    await alice.press("✏️ Title FR")
    await alice.press("✖ Remove this version")
    assert (await _form()).translations == {"fr": {"success_text": "Merci <b>beaucoup</b>"}}
    assert "FR: not written" in alice.text

    await alice.press("✏️ Title EN")  # the team's language: the form's own title
    await alice.send("Write to us")
    assert (await _form()).title == "Write to us"
    assert "✖ Remove this version" not in buttons(alice.last)


async def test_the_look_of_the_page_is_set_checked_and_cleared(alice):
    await _open(alice)
    await alice.press("🎨 Look of the page")
    assert "🎨 Look of the page of <b>Contact us</b>" in alice.text
    assert "Company name: none" in alice.text and "Logo: none" in alice.text

    await alice.press("🎨 Accent colour")
    assert "#rrggbb" in alice.text
    await alice.send("blue")
    assert "Accent colour: must be a colour written #rrggbb" in alice.text
    await alice.send("#8A1538")
    assert "✅ Saved." in alice.text and "Accent colour: <code>#8a1538</code>" in alice.text

    await alice.press("🖼 Logo")
    await alice.send("http://acme.example/logo.png")
    assert "Logo URL: must be an https:// address" in alice.text
    await alice.send("https://acme.example/logo.png")
    assert "Logo: https://acme.example/logo.png" in alice.text

    await alice.press("🏷 Company name")
    await alice.send(HOSTILE)
    assert f"Company name: «{ESCAPED}»" in alice.text and HOSTILE not in alice.text
    form = await _form()
    assert (form.brand_name, form.accent_color, form.logo_url) == (
        HOSTILE,
        "#8a1538",
        "https://acme.example/logo.png",
    )

    await alice.press("🖼 Logo")
    await alice.press("✖ No logo")
    assert (await _form()).logo_url is None and "Logo: none" in alice.text
    await alice.press("◀ Back")
    assert "📝 <b>Contact us</b>" in alice.text


async def test_texts_and_look_speak_french(alice):
    await update_profile(await actor_of(alice.staff), language="fr")
    await _open(alice)
    await alice.press("🌍 Textes par langue")
    assert "FR : pas écrit" in alice.text
    await alice.press("◀ Retour")
    await alice.press("🎨 Apparence de la page")
    assert "Nom de l'entreprise : aucun" in alice.text
    await alice.press("🎨 Couleur d'accent")
    await alice.send("rouge")
    assert "Couleur d'accent: must be a colour written #rrggbb" in alice.text


async def test_a_staff_member_without_the_settings_right_is_refused(make_staff):
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    form = await _form()
    for data in (
        FormAction(action=FormStep.TEXTS, form_id=form.id),
        FormAction(action=FormStep.LOOK, form_id=form.id),
        FormLookAction(action=FormLookStep.ASK_TEXT, form_id=form.id, choice=1),
        FormLookAction(action=FormLookStep.CLEAR_TEXT, form_id=form.id, choice=1),
        FormLookAction(action=FormLookStep.CLEAR_BRAND, form_id=form.id, choice=2),
    ):
        await plain.click(data.pack())
        assert "right" in plain.text and buttons(plain.last) == {}
    assert (await _form()).translations == {}


async def test_a_choice_lists_options_get_their_french_labels(alice, cli_actor):
    from crm.webforms import definitions

    fields = [
        {"name": "name", "type": "text", "label": {"en": "Name"}, "maps_to": "name"},
        {"name": "size", "type": "select", "label": {"en": "Size"}, "options": ["Small", "Large"]},
    ]
    await definitions.edit_form(cli_actor, "contact", {"fields": fields})
    await _open(alice)
    await alice.press("📋 Fields (2)")
    await alice.press("2. Size")
    assert "Options FR: none, French visitors read the options" in alice.text
    await alice.press("📋 Options FR")
    assert "in French, one per line, in this order: Small, Large" in alice.text
    await alice.send("Petite")
    assert "option_labels (fr) must give one label per option (2)" in alice.text
    await alice.send("Petite\n<b>Grande</b>")
    assert "✅ Saved." in alice.text
    assert "Options FR: Petite, &lt;b&gt;Grande&lt;/b&gt;" in alice.text
    spec = (await _form()).fields_spec[1]
    assert spec["option_labels"] == {"fr": ["Petite", "<b>Grande</b>"]}
    await alice.press("📋 Options FR")
    await alice.press("✖ No labels in this language")
    assert "option_labels" not in (await _form()).fields_spec[1]
    assert "Options FR: none" in alice.text


async def test_long_texts_in_both_languages_fit_in_one_message(alice, cli_actor):
    from crm.webforms import definitions

    long = "&" * 2000  # escaped, each character takes five
    await definitions.edit_form(
        cli_actor,
        "contact",
        {
            "title": "T" * 200,
            "consent_text": long,
            "success_text": long,
            "translations": {"fr": {"title": "t" * 200, "success_text": long}},
        },
    )
    await _open(alice)
    await alice.press("🌍 Texts per language")  # Admin checks Telegram's limits on each reply
    assert "FR: not written, French visitors read «&amp;&amp;" in alice.text
