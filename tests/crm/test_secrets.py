"""Secrets kept in the database: made once, the same for every caller and every restart."""

import asyncio

from crm.secrets import shared_secret
from models import Secret


async def test_a_secret_is_made_once_and_then_kept(db):
    first = await shared_secret("forms")
    assert len(first) == 64 and int(first, 16) >= 0
    assert await shared_secret("forms") == first
    assert await shared_secret("other") != first


async def test_callers_racing_for_a_new_secret_all_get_the_same_one(db):
    values = await asyncio.gather(*(shared_secret("forms") for _ in range(8)))
    assert len(set(values)) == 1
    assert await Secret.filter(name="forms").count() == 1
