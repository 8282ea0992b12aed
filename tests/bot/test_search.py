"""Finding contacts from the bot: text, phones in any format, pages, filters, inline mode."""

import pytest
from aiogram.methods import AnswerCallbackQuery, AnswerInlineQuery

from bot.callbacks import FilterAction, FilterButton
from crm.catalog import list_types
from crm.contacts import create_contact
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of


@pytest.fixture
async def team(make_staff):
    alice = await make_staff("Alice")
    bob = await make_staff("Bob")
    actor = await actor_of(alice)
    jean = await create_contact(
        actor,
        {
            "first_name": "Jean",
            "last_name": "Dupont",
            "phones": ["+33 6 12 34 56 78"],
            "emails": ["Jean.Dupont@Example.fr"],
        },
    )
    return alice, bob, jean


@pytest.mark.parametrize(
    "typed",
    [
        "0612345678",
        "06 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "(06) 12-34-56-78",
        "5678",
        "dupont",
        "DUPONT jean",
        "jean.dupont@example.fr",
        "Dupon",
    ],
)
async def test_plain_text_finds_a_contact_however_it_is_typed(team, typed):
    alice, _, jean = team
    calls = await Harness().send(alice.telegram_id, typed)
    assert "Jean Dupont" in texts(calls)[0]
    assert f"c:open:{jean.id}:0:0" in buttons(calls).values()


async def test_find_without_text_explains_what_to_send(team):
    alice, _, _ = team
    calls = await Harness().send(alice.telegram_id, "/find")
    assert "phone number" in texts(calls)[0]


async def test_results_are_paged_with_next_and_previous(team):
    alice, _, _ = team
    actor = await actor_of(alice)
    for i in range(20):
        await create_contact(actor, {"first_name": f"Page{i:02d}", "last_name": "Martin"})
    h = Harness()
    first = await h.send(alice.telegram_id, "martin")
    labels = buttons(first)
    assert "Next ▶" in labels and "◀ Previous" not in labels
    second = await h.click(alice.telegram_id, labels["Next ▶"])
    page2 = buttons(second)
    assert "9. " in texts(second)[0] and "◀ Previous" in page2
    third = await h.click(alice.telegram_id, page2["Next ▶"])
    assert "17. " in texts(third)[0] and "Next ▶" not in buttons(third)
    back = await h.click(alice.telegram_id, buttons(third)["◀ Previous"])
    assert "9. " in texts(back)[0]


async def test_an_old_list_button_is_reported_as_outdated(team):
    alice, _, _ = team
    actor = await actor_of(alice)
    for i in range(10):
        await create_contact(actor, {"first_name": f"Old{i}", "last_name": "Martin"})
    h = Harness()
    first = await h.send(alice.telegram_id, "martin")
    await h.send(alice.telegram_id, "dupont")
    calls = await h.click(alice.telegram_id, buttons(first)["Next ▶"])
    answer = [c for c in calls if isinstance(c, AnswerCallbackQuery)][0]
    assert "outdated" in answer.text


async def test_my_contacts_and_type_filters(team):
    alice, bob, _ = team
    supplier = (await list_types())[1]
    await create_contact(
        await actor_of(bob), {"first_name": "Zoé", "last_name": "Bob", "type_id": supplier.id}
    )
    h = Harness()
    menu = await h.click(bob.telegram_id, FilterAction(action=FilterButton.MENU).pack())
    labels = buttons(menu)
    mine = await h.click(bob.telegram_id, labels["My contacts"])
    assert "Zoé Bob" in texts(mine)[0] and "Jean" not in texts(mine)[0]
    typed = await h.click(bob.telegram_id, labels[f"Type: {supplier.name}"])
    assert "Zoé Bob" in texts(typed)[0] and "Jean" not in texts(typed)[0]


async def test_a_filter_by_responsible_and_saving_it(team):
    alice, bob, _ = team
    h = Harness()
    menu = await h.click(bob.telegram_id, FilterAction(action=FilterButton.MENU).pack())
    who = await h.click(bob.telegram_id, buttons(menu)["By responsible…"])
    listed = await h.click(bob.telegram_id, buttons(who)["Alice"])
    assert "Jean Dupont" in texts(listed)[0]
    menu = await h.click(bob.telegram_id, FilterAction(action=FilterButton.MENU).pack())
    await h.click(bob.telegram_id, buttons(menu)["Save this filter"])
    saved = await h.send(bob.telegram_id, "Alice's <b>")
    assert "Alice's &lt;b&gt;" in texts(saved)[0]
    menu = await h.click(bob.telegram_id, FilterAction(action=FilterButton.MENU).pack())
    again = await h.click(bob.telegram_id, buttons(menu)["★ Alice's <b>"])
    assert "Jean Dupont" in texts(again)[0]


async def test_inline_mode_lists_readable_contacts_personally(team):
    alice, _, jean = team
    calls = await Harness().inline(alice.telegram_id, "dupont")
    answer = calls[-1]
    assert isinstance(answer, AnswerInlineQuery)
    assert answer.is_personal and answer.cache_time <= 5
    assert [r.id for r in answer.results] == [f"c{jean.id}"]
    assert "Jean Dupont" in answer.results[0].input_message_content.message_text


async def test_inline_mode_hides_contacts_the_user_may_not_read(team, make_staff):
    from models.enums import Level

    nosy = await make_staff("Nosy", level=Level.OWN)
    calls = await Harness().inline(nosy.telegram_id, "dupont")
    assert calls[-1].results == []


async def test_french_staff_get_french_lists(team):
    alice, _, _ = team
    from crm.staff import update_profile

    await update_profile(await actor_of(alice), language="fr")
    calls = await Harness().send(alice.telegram_id, "dupont")
    assert "Contacts correspondant" in texts(calls)[0]
    assert "Filtres" in buttons(calls)
