"""Conversation state in Redis: a dialog started on one process continues on another."""

import uuid

from bot.callbacks import FilterAction
from bot.setup import build_storage
from crm.search import list_filters
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of


def test_without_redis_the_state_stays_in_memory():
    from aiogram.fsm.storage.memory import MemoryStorage

    assert isinstance(build_storage(None), MemoryStorage)


async def test_a_dialog_started_on_one_process_is_finished_on_another(make_staff, redis_url):
    from aiogram.fsm.storage.redis import RedisStorage

    alice = await make_staff("Alice")
    first_storage, second_storage = build_storage(redis_url), build_storage(redis_url)
    assert isinstance(first_storage, RedisStorage)
    # A fresh user id per run: the keys of an earlier run cannot leak in.
    alice.telegram_id = 10_000_000 + uuid.uuid4().int % 1_000_000
    await alice.save()
    one, two = Harness(storage=first_storage), Harness(storage=second_storage)
    try:
        await one.send(alice.telegram_id, "dupont")
        menu = await one.click(alice.telegram_id, FilterAction(action="menu").pack())
        mine = await one.click(alice.telegram_id, buttons(menu)["My contacts"])
        assert "My contacts" in texts(mine)[0]
        menu = await one.click(alice.telegram_id, FilterAction(action="menu").pack())
        await one.click(alice.telegram_id, buttons(menu)["Save this filter"])
        done = await two.send(alice.telegram_id, "Mine")
        assert "saved" in texts(done)[0]
        assert [f.name for f in await list_filters(await actor_of(alice))] == ["Mine"]
    finally:
        await first_storage.close()
        await second_storage.close()
