"""Derived search columns of a contact (folded words, phone digit forms, duplicate name key)."""

from typing import Any

from crm.rules.phones import Phone, normalize_phone, phone_search_keys
from crm.rules.text import name_key, search_text
from models import Channel, Company, Contact
from models.enums import ChannelKind


def derived_keys(
    first: str | None,
    middle: str | None,
    last: str | None,
    *,
    emails: list[str],
    phones: list[Phone],
    titles: list[str],
) -> dict[str, Any]:
    """The derived columns of a contact with these names, normalized e-mails, phones and
    company titles."""
    return {
        "search_text": search_text([first, middle, last], emails, titles),
        "search_phones": phone_search_keys(phones),
        "name_key": name_key(first, last),
    }


async def refresh_search_keys(contact: Contact) -> None:
    """Recompute the derived search and duplicate columns from the stored rows."""
    channels = await Channel.filter(contact_id=contact.id).order_by("sort", "id")
    titles = await Company.filter(
        contact_links__contact_id=contact.id, deleted_at=None
    ).values_list("title", flat=True)
    keys = derived_keys(
        contact.first_name,
        contact.middle_name,
        contact.last_name,
        emails=[c.normalized for c in channels if c.kind == ChannelKind.EMAIL],
        phones=[
            stored_phone(c.normalized, c.extension) for c in channels if c.kind == ChannelKind.PHONE
        ],
        titles=list(titles),
    )
    for name, value in keys.items():
        setattr(contact, name, value)
    await Contact.filter(id=contact.id).update(**keys)


def stored_phone(normalized: str, extension: str | None) -> Phone:
    """A stored phone (E.164) with its national digits."""
    return Phone(e164=normalized, extension=extension, national_digits=_national(normalized))


def _national(normalized: str) -> str:
    try:
        return normalize_phone(normalized, None).national_digits
    except ValueError:
        return ""
