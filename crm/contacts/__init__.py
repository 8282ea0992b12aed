"""Contact use cases (F1, F4, F13), one module per part:

- `card`: a contact as it is read (`ContactCard`, `get_contact`, `get_contact_for_edit`);
- `input`: input cleaned in numbered steps (`clean_input` → `CleanContact`);
- `records`: create (duplicates checked under a lock), update (version-checked), delete,
  restore, purge, the recycle bin, dependencies and duplicates of a contact;
- `links`: links to companies, deals and quotes, and the link dialog's reads;
- `values`: one field's values edited from the edit dialog's buttons (channels, multi-values).

Callers say `contacts.get_contact`: the public names of every part are re-exported here.
"""

from crm.contacts.card import (
    ENTITY,
    KNOWN_FIELDS,
    LIST_FIELDS,
    ChannelView,
    CleanContact,
    CompanyLink,
    ContactCard,
    display_name,
    get_contact,
    get_contact_for_edit,
    load_card,
)
from crm.contacts.input import (
    NAME_REQUIRED,
    clean_input,
)
from crm.contacts.links import (
    LINKS,
    ContactLinks,
    create_company_and_link,
    get_contact_links,
    link,
    unlink,
)
from crm.contacts.records import (
    Dependencies,
    check_duplicates,
    create_checked_contact,
    create_contact,
    delete_contact,
    dependencies,
    duplicates_of,
    insert_checked_contact,
    purge_contact,
    recycle_bin,
    restore_contact,
    update_contact,
)
from crm.contacts.values import (
    CHANNEL_NAMES,
    ChannelItems,
    add_channel,
    make_channel_primary,
    remove_channel,
    set_channel_type,
    toggle_value,
)

__all__ = [
    "CHANNEL_NAMES",
    "ChannelItems",
    "ChannelView",
    "CleanContact",
    "CompanyLink",
    "ContactCard",
    "ContactLinks",
    "Dependencies",
    "ENTITY",
    "KNOWN_FIELDS",
    "LINKS",
    "LIST_FIELDS",
    "NAME_REQUIRED",
    "add_channel",
    "check_duplicates",
    "clean_input",
    "create_checked_contact",
    "insert_checked_contact",
    "create_company_and_link",
    "create_contact",
    "delete_contact",
    "dependencies",
    "display_name",
    "duplicates_of",
    "get_contact",
    "get_contact_for_edit",
    "get_contact_links",
    "link",
    "load_card",
    "make_channel_primary",
    "purge_contact",
    "recycle_bin",
    "remove_channel",
    "restore_contact",
    "set_channel_type",
    "toggle_value",
    "unlink",
    "update_contact",
]
