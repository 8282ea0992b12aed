"""Conversations with the real bot over HTTP (aiogram → a local Bot API stand-in)."""

from crm.actors import actor_for_staff
from crm.contacts import create_contact
from crm.staff import create_invite, ensure_admins
from models import Role, Staff
from tests.telegram_stub import TelegramStub

ADMIN_ID = 7001


async def _admin() -> Staff:
    await ensure_admins([ADMIN_ID])
    return await Staff.get(telegram_id=ADMIN_ID)


async def _jean(staff: Staff, **extra):
    data = {"first_name": "Jean", "last_name": "Dupont", "phones": ["06 12 34 56 78"], **extra}
    return await create_contact(await actor_for_staff(staff), data, allow_duplicate=True)


async def test_the_command_menu_is_published_in_both_languages(telegram: TelegramStub):
    english = telegram.commands[("default", "en")]
    french = telegram.commands[("default", "fr")]
    assert [c["command"] for c in english] == [c["command"] for c in french]
    assert {"find", "new", "help", "cancel"} <= {c["command"] for c in english}
    assert english[0]["description"] != french[0]["description"]


async def test_an_admin_from_the_settings_is_greeted_and_sees_the_settings_command(
    telegram: TelegramStub,
):
    await _admin()
    admin = telegram.user(ADMIN_ID, "Ada", language_code="en")
    hello = await admin.send("/start")
    assert "Hello, Ada!" in hello.texts[0]
    assert "/settings" in hello.texts[0]
    assert "@carnet_test_bot" in hello.texts[0]
    assert "/import" not in hello.texts[0]  # not offered before the import feature exists


async def test_a_stranger_probing_gets_one_refusal_per_message_and_no_data(
    telegram: TelegramStub,
):
    await _jean(await _admin())
    stranger = telegram.user(666, "Eve", username="eve")
    for text in ("dupont", "/find 0612", "/start c1", "/help", "/settings", "/new Jean"):
        replies = await stranger.send(text)
        assert len(replies) == 1
        assert "invite link" in replies.texts[0]
        assert "Dupont" not in replies.texts[0]


async def test_forged_callbacks_and_inline_queries_from_a_stranger_get_nothing(
    telegram: TelegramStub,
):
    jean = await _jean(await _admin())
    stranger = telegram.user(666, "Eve")
    answered = await stranger.click_raw(1, f"c:open:{jean.id}:0:0")
    assert answered.answer_text and "Only staff" in answered.answer_text
    assert answered.texts == []
    inline = await stranger.inline("dupont")
    assert inline.answered and inline.results == [] and inline.is_personal


async def test_an_invite_link_makes_a_new_staff_member_once(telegram: TelegramStub):
    admin = await _admin()
    role = await Role.get(name="Employee")
    invite = await create_invite(await actor_for_staff(admin), role.id)
    newcomer = telegram.user(8001, "Nina", "Petit", language_code="fr")
    welcome = await newcomer.send(f"/start inv_{invite.token}")
    assert "Bienvenue" in welcome.texts[0] and "Nina Petit" in welcome.texts[0]
    staff = await Staff.get(telegram_id=8001)
    assert staff.is_active and staff.language == "fr"
    again = telegram.user(8002, "Mallory")
    refused = await again.send(f"/start inv_{invite.token}")
    assert "invite link" in refused.texts[0] or "used" in refused.texts[0]
    assert not await Staff.exists(telegram_id=8002)


async def test_search_finds_a_phone_however_it_is_typed(telegram: TelegramStub):
    admin = await _admin()
    jean = await _jean(admin)
    ada = telegram.user(ADMIN_ID, "Ada")
    for typed in ("0612345678", "+33 6 12 34 56 78", "06.12.34.56.78", "34 56", "0033612345678"):
        replies = await ada.send(typed)
        assert "Jean Dupont" in replies.texts[0], typed
    opened = await ada.click(replies[0], "Jean Dupont")
    assert f"#{jean.id}" in opened.texts[0]


async def test_a_deep_link_opens_a_card_and_a_hostile_name_displays_as_typed(
    telegram: TelegramStub,
):
    admin = await _admin()
    hostile = await _jean(admin, first_name="<b>x</b> & <i>")
    ada = telegram.user(ADMIN_ID, "Ada")
    card = await ada.send(f"/start c{hostile.id}")
    assert not card.errors  # the stand-in refuses malformed HTML as Telegram does
    assert "<b>x</b> & <i> Dupont" in card.texts[0]
    history = await ada.click(card[-1], "History")
    assert "created" in history.texts[-1]


async def test_the_card_history_shows_who_changed_what(telegram: TelegramStub):
    from crm.contacts import update_contact

    admin = await _admin()
    jean = await _jean(admin)
    await update_contact(await actor_for_staff(admin), jean.id, {"position": "CFO"}, jean.version)
    ada = telegram.user(ADMIN_ID, "Ada", "Lovelace")
    await ada.send("/start")
    named = await Staff.get(id=admin.id)  # the name came from Telegram at /start
    await update_contact(
        await actor_for_staff(named), jean.id, {"position": "CEO"}, jean.version + 1
    )
    card = await ada.send(f"/start c{jean.id}")
    history = await ada.click(card[-1], "History")
    text = history.texts[-1]
    assert text.index("CFO → CEO") < text.index("— → CFO")
    assert "Ada Lovelace · changed" in text
    assert "staff #" in text  # the change made before the admin had a name


async def test_a_french_staff_member_gets_french_everywhere(telegram: TelegramStub):
    from crm.staff import update_profile

    admin = await _admin()
    await update_profile(await actor_for_staff(admin), language="fr", timezone="Europe/Paris")
    jean = await _jean(admin)
    ada = telegram.user(ADMIN_ID, "Ada", language_code="en")
    found = await ada.send("dupont")
    assert "Contacts correspondant" in found.texts[0]
    card = await ada.click(found[0], "Jean Dupont")
    assert "À propos du contact" in card.texts[0] and "Créé le" in card.texts[0]
    assert "Historique" in card[-1].button_texts
    assert f"#{jean.id}" in card.texts[0]


async def test_language_can_be_switched_with_a_button(telegram: TelegramStub):
    await _admin()
    ada = telegram.user(ADMIN_ID, "Ada")
    menu = await ada.send("/language")
    switched = await ada.click(menu[0], "Français")
    assert "français" in switched.texts[-1]
    assert (await Staff.get(telegram_id=ADMIN_ID)).language == "fr"
    helped = await ada.send("/help")
    assert "Ce que vous pouvez faire" in helped.texts[0]


async def test_a_deactivated_staff_member_is_refused_at_once(telegram: TelegramStub):
    from crm.staff import deactivate_staff

    admin = await _admin()
    await _jean(admin)
    bob = await Staff.create(telegram_id=7002, name="Bob", is_active=True)
    bob_chat = telegram.user(7002, "Bob")
    await deactivate_staff(await actor_for_staff(admin), bob.id)
    replies = await bob_chat.send("dupont")
    assert "invite link" in replies.texts[0]


async def test_an_unknown_command_in_a_dialog_free_chat_is_searched_not_crashed(
    telegram: TelegramStub,
):
    await _admin()
    ada = telegram.user(ADMIN_ID, "Ada")
    replies = await ada.send("/cancel")
    assert "nothing to cancel" in replies.texts[0]
    assert not replies.errors


async def test_the_time_zone_can_be_chosen_or_typed_and_dates_follow_it(telegram: TelegramStub):
    admin = await _admin()
    ada = telegram.user(ADMIN_ID, "Ada")
    menu = await ada.send("/language")
    asked = await ada.click(menu[0], "Time zone: UTC")
    paris = await ada.click(asked[-1], "Europe/Paris")
    assert "Europe/Paris" in paris.texts[-1]
    assert (await Staff.get(id=admin.id)).timezone == "Europe/Paris"
    await ada.click(menu[0], "Time zone")
    wrong = await ada.send("Mars/Olympus")
    assert "not a known time zone" in wrong.texts[-1]
    tokyo = await ada.send("Asia/Tokyo")
    assert "Asia/Tokyo" in tokyo.texts[-1] and not tokyo.errors
    assert (await Staff.get(id=admin.id)).timezone == "Asia/Tokyo"
    searched = await ada.send("dupont")
    assert "Contacts matching" in searched.texts[0]  # the dialog is over


async def test_new_staff_start_in_the_team_time_zone(telegram: TelegramStub):
    from crm import config

    config.configure(config.CoreConfig(default_phone_region="FR", timezone="Europe/Paris"))
    admin = await _admin()
    assert admin.timezone == "Europe/Paris"
