"""Hostile or absurd input never reaches the user as a crash: huge ids, forged data, long text."""

import pytest
from aiogram.methods import AnswerCallbackQuery

from bot.callbacks import CardAction
from tests.bot.harness import Harness, texts


@pytest.fixture
async def admin(make_staff):
    return await make_staff("Admin", admin=True)


@pytest.mark.parametrize("args", ["c9999999999", "c0", "c2147483648", "cabc", "inv_x", "c1:2"])
async def test_absurd_deep_links_get_a_clear_answer(admin, args):
    calls = await Harness().send(admin.telegram_id, f"/start {args}")
    assert texts(calls)
    assert "has been logged" not in texts(calls)[0]


@pytest.mark.parametrize(
    "data",
    [
        CardAction(action="open", id=2**31).pack(),
        CardAction(action="hist", id=9_999_999_999, number=10**9).pack(),
        CardAction(action="merge", id=1, number=2**40).pack(),
        "c:open:-5:0:0",
        "c:nonsense:1:0:0",
        "garbage",
        "l:1:99999",
        "f:saved:2147483648",
    ],
)
async def test_forged_callback_data_never_crashes(admin, data):
    calls = await Harness().click(admin.telegram_id, data)
    assert all("has been logged" not in text for text in texts(calls))


@pytest.mark.parametrize("data", ["garbage", "c:nonsense:1:0:0", "wf:1:2:3:4:5:6:7"])
async def test_a_button_no_feature_recognises_is_answered_as_outdated(admin, data):
    """Buttons sent before an upgrade changed their data must not leave the press spinning."""
    calls = await Harness().click(admin.telegram_id, data)
    answers = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
    assert [a.text for a in answers] == [
        "This button is outdated; open the list or the card again."
    ]


async def test_a_very_long_search_text_is_answered(admin):
    calls = await Harness().send(admin.telegram_id, "dupont " * 600)
    assert "Nothing found" in texts(calls)[0]
