"""Secrets generated once and kept in the database: every process and every restart share them."""

import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import Secret


async def shared_secret(name: str) -> str:
    """The secret called `name`, made (64 hex characters) the first time anyone asks; two
    processes asking at once get the same one (the loser of the insert reads the winner's)."""
    found = await Secret.get_or_none(name=name)
    if found is not None:
        return found.value
    try:
        async with in_transaction():
            await Secret.create(name=name, value=secrets.token_hex(32))
    except IntegrityError:
        pass  # another process made it a moment ago
    return (await Secret.get(name=name)).value
