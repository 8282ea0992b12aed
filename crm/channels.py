"""Writing a contact's or a company's channels (phones, e-mails, websites, messengers)."""

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
    await Channel.bulk_create(
        [
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
    )
