"""Only active staff get data: strangers, deactivated staff, forged callbacks and inline queries."""

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
    assert sent and "right" in sent[0]
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
