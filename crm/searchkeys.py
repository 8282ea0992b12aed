"""Derived search columns of a contact (folded words, phone digit forms, duplicate name key)."""

from crm.rules.phones import Phone, normalize_phone, phone_search_keys
from crm.rules.text import name_key, search_text
from models import Channel, Company, Contact
from models.enums import ChannelKind


async def refresh_search_keys(contact: Contact) -> None:
    """Recompute the derived search and duplicate columns from the stored rows."""
    channels = await Channel.filter(contact_id=contact.id).order_by("sort", "id")
    titles = await Company.filter(
        contact_links__contact_id=contact.id, deleted_at=None
    ).values_list("title", flat=True)
    emails = [c.normalized for c in channels if c.kind == ChannelKind.EMAIL]
    phones = [
        Phone(e164=c.normalized, extension=c.extension, national_digits=_national(c))
        for c in channels
        if c.kind == ChannelKind.PHONE
    ]
    contact.search_text = search_text(
        [contact.first_name, contact.middle_name, contact.last_name], emails, list(titles)
    )
    contact.search_phones = phone_search_keys(phones)
    contact.name_key = name_key(contact.first_name, contact.last_name)
    await Contact.filter(id=contact.id).update(
        search_text=contact.search_text,
        search_phones=contact.search_phones,
        name_key=contact.name_key,
    )


def _national(channel: Channel) -> str:
    try:
        return normalize_phone(channel.normalized, None).national_digits
    except ValueError:
        return ""
