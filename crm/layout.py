"""Card layout (F5): sections, field placement and hidden fields, shared by card, dialog, export."""

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from crm.actors import Actor
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.fields import FieldError, clean_string
from models import CardPlacement, CardSection, CustomField

# Built-in fields in their default places; the names are Contact attributes or channel lists.
DEFAULT_LAYOUT = {
    "about": [
        "honorific",
        "first_name",
        "middle_name",
        "last_name",
        "phones",
        "emails",
        "companies",
        "position",
        "type_id",
        "responsible_id",
        "source_id",
    ],
    "more": [
        "birthdate",
        "websites",
        "messengers",
        "comment",
        "source_description",
        "observers",
        "opened",
        "include_in_export",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    ],
}
SECTION_TITLES = {"about": ("About contact", "À propos du contact"), "more": ("More", "Plus")}
BUILTIN_FIELDS = {name for names in DEFAULT_LAYOUT.values() for name in names}


@dataclass(frozen=True, slots=True)
class LayoutSection:
    code: str
    title: str
    title_fr: str | None
    fields: list[str]
    hidden: list[str]


async def ensure_default_layout() -> None:
    """Create the default sections and placements if they are missing (idempotent)."""
    for sort, (code, names) in enumerate(DEFAULT_LAYOUT.items()):
        title, title_fr = SECTION_TITLES[code]
        section, _ = await CardSection.get_or_create(
            code=code, defaults={"title": title, "title_fr": title_fr, "sort": sort * 10}
        )
        for index, name in enumerate(names):
            await CardPlacement.get_or_create(
                field=name, defaults={"section_id": section.id, "sort": index * 10}
            )


async def card_layout() -> list[LayoutSection]:
    """The layout in display order, custom fields included (`uf:<code>`)."""
    sections = await CardSection.all().order_by("sort", "id").prefetch_related("placements")
    active = set(await CustomField.filter(is_active=True).values_list("code", flat=True))
    result = []
    for section in sections:
        placements = sorted(section.placements, key=lambda p: (p.sort, p.id))
        usable = [p for p in placements if not p.field.startswith("uf:") or p.field[3:] in active]
        result.append(
            LayoutSection(
                code=section.code,
                title=section.title,
                title_fr=section.title_fr,
                fields=[p.field for p in usable if not p.hidden],
                hidden=[p.field for p in usable if p.hidden],
            )
        )
    return result


async def add_section(
    actor: Actor, code: str, title: str, title_fr: str | None = None
) -> CardSection:
    """Add a section after the others; raises PermissionDeniedError or ValidationError."""
    require_settings(actor)
    errors: dict[str, str] = {}
    titles: dict[str, str | None] = {}
    for name, value in (("title", title), ("title_fr", title_fr)):
        try:
            titles[name] = clean_string(value, 200)
        except FieldError as exc:
            errors[name] = str(exc)
    if not titles.get("title") and "title" not in errors:
        errors["title"] = "is required"
    if not code.isidentifier() or len(code) > 64:
        errors["code"] = "must be a simple identifier"
    if errors:
        raise ValidationError(errors)
    async with in_transaction():
        if await CardSection.exists(code=code):
            raise ValidationError({"code": "is already used"})
        last = await CardSection.all().order_by("-sort").first()
        return await CardSection.create(
            code=code,
            title=titles["title"],
            title_fr=titles["title_fr"],
            sort=(last.sort + 10) if last else 0,
        )


async def place_field(actor: Actor, field: str, section_code: str, position: int) -> None:
    """Move a field into a section at a position (0 = first)."""
    require_settings(actor)
    if field not in BUILTIN_FIELDS and not (
        field.startswith("uf:") and await CustomField.exists(code=field[3:], is_active=True)
    ):
        raise ValidationError({"field": "is not a card field"})
    section = await CardSection.get_or_none(code=section_code)
    if section is None:
        raise NotFoundError(f"section {section_code!r} does not exist")
    async with in_transaction():
        others = [
            p
            for p in await CardPlacement.filter(section_id=section.id).order_by("sort", "id")
            if p.field != field
        ]
        position = max(0, min(position, len(others)))
        order = [p.field for p in others]
        order.insert(position, field)
        placement, _ = await CardPlacement.get_or_create(
            field=field, defaults={"section_id": section.id, "sort": 0}
        )
        await CardPlacement.filter(id=placement.id).update(section_id=section.id)
        for index, name in enumerate(order):
            await CardPlacement.filter(field=name).update(sort=index * 10)


async def set_hidden(actor: Actor, field: str, hidden: bool) -> None:
    require_settings(actor)
    if field in ("first_name", "last_name") and hidden:
        raise ValidationError({"field": "names cannot be hidden"})
    if not await CardPlacement.filter(field=field).update(hidden=hidden):
        raise NotFoundError(f"field {field!r} is not on the card")
