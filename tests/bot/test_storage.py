"""Conversation state in Redis: a dialog started on one process continues on another."""

import os
import uuid

import pytest
from redis.asyncio import Redis

from bot.callbacks import FilterAction
from bot.setup import build_storage
from crm.search import list_filters
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _redis_answers() -> bool:
    client = Redis.from_url(REDIS_URL)
    try:
        return bool(await client.ping())
    except OSError:
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def redis_url():
    if not await _redis_answers():
        if os.environ.get("CARNET_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not answering at {REDIS_URL} and CARNET_REQUIRE_REDIS=1")
        pytest.skip(f"Redis is not answering at {REDIS_URL}")
    return REDIS_URL


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
