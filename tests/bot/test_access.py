"""Only active staff get data: strangers, deactivated staff, forged callbacks and inline queries."""

import pytest
from aiogram.methods import AnswerCallbackQuery, AnswerInlineQuery, SendMessage

from crm.contacts import create_contact
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of


async def _contact(staff):
    return await create_contact(
        await actor_of(staff),
        {"first_name": "<b>x</b> & <i>", "last_name": "Dupont", "phones": ["06 12 34 56 78"]},
    )


async def test_a_stranger_gets_a_refusal_and_no_contact_data(make_staff):
    owner = await make_staff("Owner")
    await _contact(owner)
    h = Harness()
    for text in ("dupont", "/find dupont", "/start c1", "0612345678", "/new Jean Dupont"):
        calls = await h.send(555, text)
        assert [type(c) for c in calls] == [SendMessage]
        assert "invite link" in calls[0].text
        assert "Dupont" not in calls[0].text


async def test_a_deactivated_staff_member_is_refused(make_staff):
    gone = await make_staff("Gone", active=False)
    calls = await Harness().send(gone.telegram_id, "dupont")
    assert "invite link" in texts(calls)[0]


async def test_a_forged_callback_from_a_stranger_is_refused(make_staff):
    owner = await make_staff("Owner")
    card = await _contact(owner)
    calls = await Harness().click(555, f"c:open:{card.id}:0:0")
    assert len(calls) == 1 and isinstance(calls[0], AnswerCallbackQuery)
    assert calls[0].show_alert


async def test_an_inline_query_from_a_stranger_lists_nothing(make_staff):
    owner = await make_staff("Owner")
    await _contact(owner)
    calls = await Harness().inline(555, "dupont")
    assert len(calls) == 1 and isinstance(calls[0], AnswerInlineQuery)
    assert calls[0].results == [] and calls[0].is_personal


async def test_a_staff_member_cannot_open_a_card_they_may_not_read_by_forging_its_id(make_staff):
    from models.enums import Level

    owner = await make_staff("Owner")
    card = await _contact(owner)
    nosy = await make_staff("Nosy", level=Level.OWN)
    h = Harness()
    calls = await h.click(nosy.telegram_id, f"c:open:{card.id}:0:0")
    sent = texts(calls)
    missing = texts(await h.click(nosy.telegram_id, "c:open:999999:0:0"))
    # Word for word the answer to an id that does not exist: the id's existence stays unknown.
    assert sent == [m.replace("999999", str(card.id)) for m in missing]
    assert "Dupont" not in " ".join(sent)


async def test_user_text_is_escaped_in_results_and_cards(make_staff):
    owner = await make_staff("Owner")
    card = await _contact(owner)
    h = Harness()
    calls = await h.send(owner.telegram_id, "dupont")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;" in texts(calls)[0]
    open_data = buttons(calls)
    assert f"c:open:{card.id}:0:0" in open_data.values()


async def test_a_custom_field_error_names_the_field_by_its_label(make_staff):
    from bot.render import error
    from crm.customfields import active_fields, create_field
    from crm.errors import ValidationError
    from crm.i18n import Catalogue

    admin = await make_staff("Admin", admin=True)
    await create_field(
        await actor_of(admin), {"code": "loyalty", "label": "Loyalty <card>", "type": "integer"}
    )
    code = next(iter(await active_fields()))
    t = Catalogue([]).translator("en")
    text = error(
        t, ValidationError({f"custom.{code}": "must be a whole number"}), await active_fields()
    )
    assert "Loyalty &lt;card&gt;: must be a whole number" in text


async def test_staff_commands_in_a_group_chat_are_ignored(make_staff):
    owner = await make_staff("Owner", admin=True)
    await _contact(owner)
    h = Harness()
    update = h.message(owner.telegram_id, text="/find dupont")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Team"}
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    calls = await h.feed(update)
    assert calls == []  # nothing posted to the group, no contact data


async def test_an_old_buttons_message_fails_before_anything_is_written(make_staff):
    from models import Contact

    owner = await make_staff("Owner", admin=True)
    card = await _contact(owner)
    h = Harness()
    calls = await h.feed(
        {
            "callback_query": {
                "id": "77",
                "from": {"id": owner.telegram_id, "is_bot": False, "first_name": "O"},
                "chat_instance": "1",
                "message": {
                    "message_id": 5,
                    "date": 0,
                    "chat": {"id": owner.telegram_id, "type": "private"},
                },
                "data": f"c:delok:{card.id}:0:0",
            }
        }
    )
    assert (await Contact.get(id=card.id)).deleted_at is None
    answers = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
    assert answers and "outdated" in answers[0].text


async def test_the_filter_menu_stays_within_telegram_button_limits(make_staff):
    from bot.callbacks import FilterAction
    from crm import catalog, search
    from crm.errors import ValidationError

    owner = await make_staff("Owner", admin=True)
    actor = await actor_of(owner)
    for i in range(60):
        await catalog.create_type(actor, f"Type {i}")
    for i in range(40):
        await search.save_filter(actor, f"Saved {i}", {"preset": "my"})
    with pytest.raises(ValidationError):
        await search.save_filter(actor, "One too many", {"preset": "my"})
    calls = await Harness().click(owner.telegram_id, FilterAction(action="menu").pack())
    markup = calls[-1].reply_markup
    assert sum(len(row) for row in markup.inline_keyboard) <= 100
