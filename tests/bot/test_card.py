"""The contact card in the bot: layout, links, long cards, history, duplicates, delete, restore."""

import pytest
from aiogram.methods import SendMessage

from bot.callbacks import CardAction, CardButton
from crm.contacts import create_contact, update_contact
from crm.layout import set_hidden
from models import Contact
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of


@pytest.fixture
async def alice(make_staff):
    return await make_staff("Alice", admin=True)


async def _jean(staff, **extra):
    data = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "phones": ["06 12 34 56 78"],
        "emails": ["jean@example.fr"],
        "position": "Buyer",
        **extra,
    }
    return await create_contact(await actor_of(staff), data, allow_duplicate=True)


async def test_a_deep_link_opens_the_card_with_call_and_mail_links(alice):
    jean = await _jean(alice)
    calls = await Harness().send(alice.telegram_id, f"/start c{jean.id}")
    card = texts(calls)[0]
    assert "<b>Jean Dupont</b>" in card
    assert '<a href="tel:+33612345678">06 12 34 56 78</a>' in card
    assert '<a href="mailto:jean@example.fr">jean@example.fr</a>' in card
    assert set(buttons(calls)) >= {"✏️ Edit", "History", "Duplicates", "🗑 Delete", "Dependencies"}


async def test_the_card_follows_the_layout_and_leaves_hidden_fields_out(alice):
    jean = await _jean(alice)
    await set_hidden(await actor_of(alice), "position", True)
    calls = await Harness().send(alice.telegram_id, f"/start c{jean.id}")
    assert "Buyer" not in texts(calls)[0]
    assert texts(calls)[0].index("About contact") < texts(calls)[0].index("Responsible")


async def test_a_very_long_card_is_split_within_telegram_limits(alice):
    long_comment = "word " * 1900
    jean = await _jean(
        alice,
        comment=long_comment,
        source_description="details " * 240,
        phones=[f"+3361234{i:04d}" for i in range(40)],
    )
    calls = await Harness().send(alice.telegram_id, f"/start c{jean.id}")
    sent = [c for c in calls if isinstance(c, SendMessage)]
    assert all(len(c.text) <= 4096 for c in sent)
    assert sent[-1].reply_markup is not None


async def test_history_is_shown_newest_first_with_before_and_after(alice):
    jean = await _jean(alice)
    actor = await actor_of(alice)
    card = await update_contact(actor, jean.id, {"position": "<CEO>"}, jean.version)
    calls = await Harness().click(
        alice.telegram_id, CardAction(action=CardButton.HISTORY, id=card.id).pack()
    )
    text = texts(calls)[0]
    assert text.index("changed") < text.index("created")
    assert "Position: Buyer → &lt;CEO&gt;" in text
    assert "Alice" in text


async def test_history_pages(alice):
    jean = await _jean(alice)
    actor = await actor_of(alice)
    version = jean.version
    for i in range(12):
        version = (await update_contact(actor, jean.id, {"position": f"P{i}"}, version)).version
    h = Harness()
    first = await h.click(
        alice.telegram_id, CardAction(action=CardButton.HISTORY, id=jean.id).pack()
    )
    older = await h.click(alice.telegram_id, buttons(first)["Older ▶"])
    assert "created" in texts(older)[0] and "created" not in texts(first)[0]


async def test_duplicates_can_be_merged_and_the_merge_undone(alice):
    jean = await _jean(alice)
    twin = await _jean(alice, emails=["other@example.fr"], position=None)
    h = Harness()
    dups = await h.click(
        alice.telegram_id, CardAction(action=CardButton.DUPLICATES, id=jean.id).pack()
    )
    assert "same phone" in texts(dups)[0]
    ask = await h.click(alice.telegram_id, buttons(dups)["Merge Jean Dupont here"])
    assert "You can undo it" in texts(ask)[0]
    done = await h.click(alice.telegram_id, buttons(ask)["Yes, merge"])
    assert "other@example.fr" in texts(done)[-1]
    assert (await Contact.get(id=twin.id)).merged_into_id == jean.id
    undone = await h.click(alice.telegram_id, buttons(done[1:2])["Undo the merge"])
    assert f"#{twin.id}" in texts(undone)[0]
    assert (await Contact.get(id=twin.id)).merged_into_id is None


async def test_delete_asks_first_then_restore_brings_the_contact_back(alice):
    jean = await _jean(alice)
    h = Harness()
    ask = await h.click(alice.telegram_id, CardAction(action=CardButton.DELETE, id=jean.id).pack())
    assert "recycle bin?" in texts(ask)[0]
    assert (await Contact.get(id=jean.id)).deleted_at is None
    done = await h.click(alice.telegram_id, buttons(ask)["Yes, delete"])
    assert (await Contact.get(id=jean.id)).deleted_at is not None
    found = await h.send(alice.telegram_id, "dupont")
    assert "Nothing found" in texts(found)[0]
    restored = await h.click(alice.telegram_id, buttons(done)["♻️ Restore"])
    assert "Jean Dupont" in texts(restored)[0]
    assert (await Contact.get(id=jean.id)).deleted_at is None


async def test_the_recycle_bin_lists_deleted_contacts_with_restore_buttons(alice):
    from bot.callbacks import FilterAction, FilterButton
    from crm.contacts import delete_contact

    jean = await _jean(alice)
    await delete_contact(await actor_of(alice), jean.id)
    calls = await Harness().click(
        alice.telegram_id, FilterAction(action=FilterButton.RECYCLE_BIN).pack()
    )
    assert "Jean Dupont" in texts(calls)[0]
    assert (
        buttons(calls)["♻️ Jean Dupont"] == CardAction(action=CardButton.RESTORE, id=jean.id).pack()
    )


async def test_dependencies_list_linked_companies(alice):
    from crm import companies
    from crm.contacts import link

    actor = await actor_of(alice)
    jean = await _jean(alice)
    acme = await companies.create(actor, "company", {"title": "Acme & <Co>"})
    await link(actor, jean.id, "company", acme.id)
    calls = await Harness().click(
        alice.telegram_id, CardAction(action=CardButton.DEPENDENCIES, id=jean.id).pack()
    )
    assert "Acme &amp; &lt;Co&gt;" in texts(calls)[0]


async def test_someone_without_delete_rights_is_told_so(alice, make_staff):
    from models.enums import Level

    reader = await make_staff("Reader", level=Level.NONE, levels={"read": Level.ALL})
    jean = await _jean(alice)
    h = Harness()
    await h.click(reader.telegram_id, CardAction(action=CardButton.DELETE, id=jean.id).pack())
    calls = await h.click(
        reader.telegram_id, CardAction(action=CardButton.CONFIRM_DELETE, id=jean.id).pack()
    )
    assert "right" in texts(calls)[0]
    assert (await Contact.get(id=jean.id)).deleted_at is None


async def test_an_unexpected_error_is_logged_and_the_user_told(alice, monkeypatch, caplog):
    from crm import contacts

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(contacts, "get_contact", broken)
    calls = await Harness().send(alice.telegram_id, "/start c1")
    assert "has been logged" in texts(calls)[0]
    assert "boom" in caplog.text


async def test_a_reader_sees_no_edit_link_or_delete_buttons(alice, make_staff):
    from models.enums import Level

    reader = await make_staff("Reader", level=Level.NONE, levels={"read": Level.ALL})
    jean = await _jean(alice)
    calls = await Harness().send(reader.telegram_id, f"/start c{jean.id}")
    assert set(buttons(calls)) == {"Dependencies", "History", "Duplicates"}


def test_messages_are_split_on_what_telegram_counts_not_on_html_length():
    from bot.render import split, visible_length

    escaped = "&lt;" * 3000  # 12,000 characters of HTML, 3,000 visible
    assert visible_length(f"<b>{escaped}</b>") == 3000
    assert split([escaped, "<i>x</i>"]) == [escaped + "\n<i>x</i>"]
    assert len(split(["a" * 3000, "b" * 3000])) == 2
    assert visible_length("😀") == 2  # UTF-16 code units, as Telegram counts


async def test_a_history_page_of_long_changes_fits_one_message(alice):
    jean = await _jean(alice)
    actor = await actor_of(alice)
    version = jean.version
    for i in range(12):
        comment = f"{i} " + "<&>" * 3000
        version = (await update_contact(actor, jean.id, {"comment": comment}, version)).version
    calls = await Harness().click(
        alice.telegram_id, CardAction(action=CardButton.HISTORY, id=jean.id).pack()
    )
    text = texts(calls)[0]
    assert text.count("Comment:") == 8  # a full page
    from bot.render import visible_length

    assert visible_length(text) <= 4096
