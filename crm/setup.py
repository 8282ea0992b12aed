"""First-start defaults: contact types, sources, card layout, starter roles and the `contact`
web form (idempotent)."""

from crm.layout import ensure_default_layout
from crm.webforms.definitions import ensure_default_form
from models import ContactType, Role, Source
from models.enums import Level

DEFAULT_TYPES = ("Client", "Supplier", "Partner")
DEFAULT_SOURCES = (
    "Call",
    "E-mail",
    "Website",
    "Web form",
    "Advertising",
    "Existing client",
    "Other",
)
# Starter roles so a fresh install is usable; admins edit them in /settings.
DEFAULT_ROLES = {
    "Employee": dict(
        read_level=Level.DEPARTMENT,
        add_level=Level.OWN,
        edit_level=Level.OWN,
        delete_level=Level.OWN,
        export_level=Level.OWN,
        import_level=Level.NONE,
    ),
    "Department head": dict(
        read_level=Level.DEPARTMENT_TREE,
        add_level=Level.DEPARTMENT_TREE,
        edit_level=Level.DEPARTMENT_TREE,
        delete_level=Level.DEPARTMENT_TREE,
        export_level=Level.DEPARTMENT_TREE,
        import_level=Level.DEPARTMENT_TREE,
    ),
    "Director": dict(
        read_level=Level.ALL,
        add_level=Level.ALL,
        edit_level=Level.ALL,
        delete_level=Level.ALL,
        export_level=Level.ALL,
        import_level=Level.ALL,
    ),
}


async def ensure_defaults() -> None:
    """Fill empty catalogues on a new database; never touches what an admin has changed."""
    if not await ContactType.exists():
        for index, name in enumerate(DEFAULT_TYPES):
            await ContactType.create(name=name, sort=(index + 1) * 10)
    if not await Source.exists():
        for index, name in enumerate(DEFAULT_SOURCES):
            await Source.create(name=name, sort=(index + 1) * 10)
    if not await Role.exists():
        for name, levels in DEFAULT_ROLES.items():
            await Role.create(name=name, **levels)
    await ensure_default_layout()
    await ensure_default_form()
