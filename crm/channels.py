"""Writing a contact's or a company's channels (phones, e-mails, websites, messengers)."""

from collections.abc import Mapping
from typing import Any

from crm.rules.fields import ChannelValue
from models import Channel
from models.enums import ChannelKind


async def replace_channels(
    kind: ChannelKind,
    values: list[ChannelValue],
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
) -> None:
    """Replace the owner's channels of one kind; the first value is the primary one.

    Call inside the use case's transaction.
    """
    owner = {"contact_id": contact_id} if contact_id is not None else {"company_id": company_id}
    await Channel.filter(kind=kind, **owner).delete()
    await Channel.bulk_create(_rows(kind, values, owner))


async def add_channels(
    channels: Mapping[ChannelKind, list[ChannelValue]], *, contact_id: int
) -> None:
    """The channels of a contact just created, every kind in one insert (nothing to replace).

    Call inside the use case's transaction.
    """
    owner = {"contact_id": contact_id}
    rows = [row for kind, values in channels.items() for row in _rows(kind, values, owner)]
    if rows:
        await Channel.bulk_create(rows)


def _rows(kind: ChannelKind, values: list[ChannelValue], owner: dict[str, Any]) -> list[Channel]:
    return [
        Channel(
            **owner,
            kind=kind,
            value_type=v.value_type,
            value=v.value,
            normalized=v.normalized,
            extension=v.extension,
            is_primary=i == 0,
            sort=i,
        )
        for i, v in enumerate(values)
    ]
