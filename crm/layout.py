"""Card layout (F5): sections, field placement and hidden fields, shared by card, dialog, export."""

from collections.abc import Collection
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from crm import customfields
from crm.actors import Actor
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.codes import moved, slug, unique_code
from crm.rules.fieldref import FieldRef
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
# A card field as callers name it: by its placement's id (a bot button) or by its field name
# (a Contact attribute, a channel list or `uf:<code>`).
PlacementKey = int | str


@dataclass(frozen=True, slots=True)
class LayoutSection:
    code: str
    title: str
    title_fr: str | None
    fields: list[str]
    hidden: list[str]


def _in_use(field: str, active_codes: Collection[str]) -> bool:
    """A placement shows: a contact field, or a custom field that is still active."""
    ref = FieldRef.from_card_field(field)
    return ref is None or ref.code in active_codes


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
        usable = [p for p in placements if _in_use(p.field, active)]
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


@dataclass(frozen=True, slots=True)
class PlacedField:
    id: int  # the placement's id: what buttons refer to
    field: str  # a Contact attribute, a channel list or `uf:<code>`
    hidden: bool


@dataclass(frozen=True, slots=True)
class SectionView:
    id: int
    code: str
    title: str
    title_fr: str | None
    fields: list[PlacedField]  # hidden ones included, in card order


@dataclass(frozen=True, slots=True)
class LayoutView:
    """The layout as administrators edit it: every placement, hidden ones included."""

    sections: list[SectionView]
    custom: dict[str, CustomField]  # active custom fields by code, for their labels

    def find(self, placement_id: int) -> tuple[SectionView, int]:
        """The section holding a placement and its index there; raises NotFoundError."""
        for section in self.sections:
            for index, placed in enumerate(section.fields):
                if placed.id == placement_id:
                    return section, index
        raise NotFoundError(f"card field #{placement_id} does not exist")

    def section(self, section_id: int) -> SectionView:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise NotFoundError(f"card section #{section_id} does not exist")


async def layout_view(actor: Actor) -> LayoutView:
    """Every section with every field in card order, hidden fields included (settings right)."""
    require_settings(actor)
    custom = await customfields.active_fields()
    sections = await CardSection.all().order_by("sort", "id").prefetch_related("placements")
    result = []
    for section in sections:
        placements = sorted(section.placements, key=lambda p: (p.sort, p.id))
        result.append(
            SectionView(
                id=section.id,
                code=section.code,
                title=section.title,
                title_fr=section.title_fr,
                fields=[
                    PlacedField(p.id, p.field, p.hidden)
                    for p in placements
                    if _in_use(p.field, custom)
                ],
            )
        )
    return LayoutView(result, custom)


async def add_section(
    actor: Actor, title: str, title_fr: str | None = None, *, code: str | None = None
) -> CardSection:
    """Add a section after the others; without a `code`, one is derived from the title.

    Raises PermissionDeniedError or ValidationError; returns the section.
    """
    require_settings(actor)
    if code is None:
        taken = set(await CardSection.all().values_list("code", flat=True))
        code = unique_code(slug(title if isinstance(title, str) else "", "section"), taken)
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
    ref = FieldRef.from_card_field(field)
    if field not in BUILTIN_FIELDS and not (
        ref and await CustomField.exists(code=ref.code, is_active=True)
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


async def _placement(placement: PlacementKey) -> CardPlacement:
    if isinstance(placement, int) and not isinstance(placement, bool):
        found = await CardPlacement.get_or_none(id=placement)
        if found is None:
            raise NotFoundError(f"card field #{placement} does not exist")
        return found
    found = await CardPlacement.get_or_none(field=placement)
    if found is None:
        raise NotFoundError(f"field {placement!r} is not on the card")
    return found


async def move_field(actor: Actor, placement_id: int, offset: int) -> None:
    """Move a card field up (offset < 0) or down within its section; raises NotFoundError."""
    require_settings(actor)
    placement = await _placement(placement_id)
    section = await CardSection.get(id=placement.section_id)
    # The same order place_field counts positions in (hidden fields included).
    ids = [p.id for p in await CardPlacement.filter(section_id=section.id).order_by("sort", "id")]
    position = moved(ids, placement.id, offset).index(placement.id)
    await place_field(actor, placement.field, section.code, position)


async def move_field_to(actor: Actor, placement_id: int, section_id: int) -> None:
    """Move a card field to the end of another section; raises NotFoundError."""
    require_settings(actor)
    placement = await _placement(placement_id)
    target = await CardSection.get_or_none(id=section_id)
    if target is None:
        raise NotFoundError(f"card section #{section_id} does not exist")
    last = await CardPlacement.filter(section_id=target.id).count()
    await place_field(actor, placement.field, target.code, last)


async def set_hidden(actor: Actor, field: PlacementKey, hidden: bool) -> None:
    """Hide a field (by placement id or name) from, or show it again on, the card, the dialog
    and exports; raises PermissionDeniedError, NotFoundError or ValidationError (names)."""
    require_settings(actor)
    placement = await _placement(field)
    if placement.field in ("first_name", "last_name") and hidden:
        raise ValidationError({"field": "names cannot be hidden"})
    await CardPlacement.filter(id=placement.id).update(hidden=hidden)
