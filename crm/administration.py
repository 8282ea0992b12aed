"""Use cases behind the bot's /settings screens that the other core modules do not offer.

Overviews for admins, moves by one step, toggles by id, codes derived from names (F2, F3, F5,
F9). Every function checks the settings right itself: adapters pass ids taken from buttons,
which are never trusted.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm import catalog, customfields, history, layout, staff
from crm.actors import Actor
from crm.errors import NotFoundError, ValidationError
from crm.permissions import require_may_change_reach, require_settings, require_within_own_levels
from crm.rules.fields import FieldError, clean_string
from models import (
    CardPlacement,
    CardSection,
    Contact,
    ContactType,
    CustomField,
    Department,
    Role,
    Staff,
    StaffDepartment,
)
from models.enums import FieldType, HistoryKind

CODE_LENGTH = 40  # derived codes stay short: they end up in exports and `uf:<code>` placements
OPTION_LENGTH = 200
MAX_OPTIONS = 200


# --- pure rules -----------------------------------------------------------------------------


def slug(text: str, fallback: str) -> str:
    """A code from a name: 'Date d'entrée' -> 'date_d_entree'; `fallback` when nothing is left.

    Always starts with a letter and uses only a-z, 0-9 and _ (a valid identifier).
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:CODE_LENGTH].strip("_")
    if not code:
        return fallback
    return code if code[0].isalpha() else f"{fallback}_{code}"[:CODE_LENGTH]


def unique_code(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`... whichever is not taken."""
    if base not in taken:
        return base
    number = 2
    while f"{base[: CODE_LENGTH - 6]}_{number}" in taken:
        number += 1
    return f"{base[: CODE_LENGTH - 6]}_{number}"


def clean_label(value: str, field: str = "label") -> str:
    """A required one-line label of at most 200 characters; raises ValidationError."""
    try:
        label = clean_string(value, 200)
    except FieldError as exc:
        raise ValidationError({field: str(exc)}) from exc
    if not label:
        raise ValidationError({field: "is required"})
    return label


def parse_options(text: str) -> list[str]:
    """List options typed one per line: trimmed, blank lines dropped; raises ValidationError
    for none, a repeated one or one that is too long."""
    options = [" ".join(line.split()) for line in text.splitlines()]
    options = [o for o in options if o]
    if not options:
        raise ValidationError({"options": "a list field needs at least one option"})
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"options": f"at most {MAX_OPTIONS} options"})
    if any(len(o) > OPTION_LENGTH for o in options):
        raise ValidationError({"options": f"an option is longer than {OPTION_LENGTH} characters"})
    if len({o.casefold() for o in options}) != len(options):
        raise ValidationError({"options": "must not repeat a value"})
    return options


def allows_multiple(field_type: FieldType) -> bool:
    """Whether a field of this type may hold several values (a yes/no cannot)."""
    return field_type != FieldType.BOOLEAN


def moved(ids: list[int], item_id: int, offset: int) -> list[int]:
    """`ids` with `item_id` moved `offset` places (clamped at both ends)."""
    if item_id not in ids:
        return list(ids)
    order = [i for i in ids if i != item_id]
    position = max(0, min(ids.index(item_id) + offset, len(order)))
    order.insert(position, item_id)
    return order


# --- overview -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overview:
    types: int
    fields: int
    staff: int
    roles: int
    departments: int


async def overview(actor: Actor) -> Overview:
    """What the settings menu counts; raises PermissionDeniedError without the settings right."""
    require_settings(actor)
    return Overview(
        types=await ContactType.all().count(),
        fields=await CustomField.filter(is_active=True).count(),
        staff=await Staff.filter(is_active=True).count(),
        roles=await Role.all().count(),
        departments=await Department.all().count(),
    )


# --- contact types (F2) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeUsage:
    id: int
    name: str
    contacts: int  # every contact holding it, recycle bin included: they move on delete too
    position: int  # 1-based
    total: int


async def contact_types(actor: Actor) -> list[TypeUsage]:
    """The contact types in order, with how many contacts use each."""
    require_settings(actor)
    types = await catalog.list_types()
    rows = (
        await Contact.filter(type_id__not_isnull=True)
        .annotate(n=Count("id"))
        .group_by("type_id")
        .values_list("type_id", "n")
    )
    counts = {int(type_id): int(n) for type_id, n in rows}
    return [
        TypeUsage(t.id, t.name, counts.get(t.id, 0), index + 1, len(types))
        for index, t in enumerate(types)
    ]


async def contact_type(actor: Actor, type_id: int) -> TypeUsage:
    """One type with its use; raises NotFoundError."""
    for usage in await contact_types(actor):
        if usage.id == type_id:
            return usage
    raise NotFoundError(f"contact type #{type_id} does not exist")


async def move_type(actor: Actor, type_id: int, offset: int) -> None:
    """Move a type up (offset < 0) or down in the list; raises NotFoundError."""
    require_settings(actor)
    ids = [t.id for t in await catalog.list_types()]
    if type_id not in ids:
        raise NotFoundError(f"contact type #{type_id} does not exist")
    await catalog.reorder_types(actor, moved(ids, type_id, offset))


# --- custom fields (F3) ---------------------------------------------------------------------


async def custom_fields(actor: Actor) -> list[CustomField]:
    require_settings(actor)
    return await customfields.list_fields(actor)


async def custom_field(actor: Actor, field_id: int) -> CustomField:
    """An active custom field by id; raises PermissionDeniedError or NotFoundError."""
    require_settings(actor)
    field = await CustomField.get_or_none(id=field_id, is_active=True)
    if field is None:
        raise NotFoundError(f"custom field #{field_id} does not exist")
    return field


async def add_custom_field(
    actor: Actor,
    label: str,
    field_type: FieldType,
    *,
    options: list[str] | None = None,
    required: bool = False,
    multiple: bool = False,
    in_filter: bool = False,
) -> CustomField:
    """Create a custom field whose code is derived from its label (unique, a-z0-9_).

    Raises PermissionDeniedError or ValidationError; returns the field.
    """
    require_settings(actor)
    clean = clean_label(label)
    taken = set(await CustomField.all().values_list("code", flat=True))
    data: dict[str, Any] = {
        "code": unique_code(slug(clean, "field"), taken),
        "label": clean,
        "type": field_type.value,
        "required": required,
        "multiple": multiple and allows_multiple(field_type),
        "in_filter": in_filter,
    }
    if field_type == FieldType.LIST:
        data["options"] = list(options or [])
    return await customfields.create_field(actor, data)


async def update_custom_field(actor: Actor, field_id: int, changes: dict[str, Any]) -> CustomField:
    """Change a field's label or flags by id (see customfields.update_field for the errors)."""
    field = await custom_field(actor, field_id)
    return await customfields.update_field(actor, field.code, changes)


async def delete_custom_field(actor: Actor, field_id: int) -> CustomField:
    """Retire a field by id (its values stay for the history); returns what it was."""
    field = await custom_field(actor, field_id)
    await customfields.delete_field(actor, field.code)
    return field


# --- card layout (F5) -----------------------------------------------------------------------


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
    """Every section with every field in card order, hidden fields included."""
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
                    if not p.field.startswith("uf:") or p.field[3:] in custom
                ],
            )
        )
    return LayoutView(result, custom)


async def _placement(placement_id: int) -> tuple[CardPlacement, CardSection]:
    placement = await CardPlacement.get_or_none(id=placement_id)
    if placement is None:
        raise NotFoundError(f"card field #{placement_id} does not exist")
    return placement, await CardSection.get(id=placement.section_id)


async def move_layout_field(actor: Actor, placement_id: int, offset: int) -> None:
    """Move a card field up (offset < 0) or down within its section."""
    require_settings(actor)
    placement, section = await _placement(placement_id)
    # The same order layout.place_field counts positions in (hidden fields included).
    ids = [p.id for p in await CardPlacement.filter(section_id=section.id).order_by("sort", "id")]
    position = moved(ids, placement.id, offset).index(placement.id)
    await layout.place_field(actor, placement.field, section.code, position)


async def move_layout_field_to(actor: Actor, placement_id: int, section_id: int) -> None:
    """Move a card field to the end of another section."""
    require_settings(actor)
    placement, _ = await _placement(placement_id)
    target = await CardSection.get_or_none(id=section_id)
    if target is None:
        raise NotFoundError(f"card section #{section_id} does not exist")
    last = await CardPlacement.filter(section_id=target.id).count()
    await layout.place_field(actor, placement.field, target.code, last)


async def set_layout_field_hidden(actor: Actor, placement_id: int, hidden: bool) -> None:
    """Hide a field from (or show it again on) the card, the dialog and exports."""
    require_settings(actor)
    placement, _ = await _placement(placement_id)
    await layout.set_hidden(actor, placement.field, hidden)


async def add_card_section(actor: Actor, title: str) -> CardSection:
    """A new section after the others, its code derived from the title."""
    require_settings(actor)
    clean = clean_label(title, "title")
    taken = set(await CardSection.all().values_list("code", flat=True))
    return await layout.add_section(actor, unique_code(slug(clean, "section"), taken), clean)


# --- staff, departments and roles (F9) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffView:
    staff: Staff
    roles: list[Role]  # the roles they hold, by name
    departments: list[Department]  # the departments they are in, by name


async def staff_members(actor: Actor) -> list[Staff]:
    """Every staff member: the active ones by name, then the deactivated ones."""
    require_settings(actor)
    members = await Staff.all().order_by("name", "id")
    return [m for m in members if m.is_active] + [m for m in members if not m.is_active]


async def staff_member(actor: Actor, staff_id: int) -> StaffView:
    """A staff member with their roles and departments; raises NotFoundError."""
    require_settings(actor)
    member = await Staff.get_or_none(id=staff_id)
    if member is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    held = await Role.filter(staff_links__staff_id=staff_id).order_by("name", "id")
    member_of = await Department.filter(staff_links__staff_id=staff_id).order_by("name", "id")
    return StaffView(member, held, member_of)


async def reactivate_staff(actor: Actor, staff_id: int) -> None:
    """Let a deactivated member back in; only administrators bring back an administrator."""
    require_settings(actor)
    member = await Staff.get_or_none(id=staff_id)
    if member is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    require_may_change_reach(actor, staff_id, is_admin=member.is_admin, what="active status")
    async with in_transaction():
        if await Staff.filter(id=staff_id, is_active=False).update(is_active=True):
            await history.record(
                actor, "staff", staff_id, HistoryKind.CHANGED, "active", False, True
            )


async def set_staff_department(
    actor: Actor, staff_id: int, department_id: int, member: bool
) -> None:
    """Put a staff member in a department or take them out (idempotent, audited).

    Departments widen what one reads: a settings manager may not move themselves or an
    administrator (an administrator may).
    """
    require_settings(actor)
    target = await Staff.get_or_none(id=staff_id)
    if target is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    require_may_change_reach(actor, staff_id, is_admin=target.is_admin)
    if not await Department.exists(id=department_id):
        raise NotFoundError(f"department #{department_id} does not exist")
    async with in_transaction():
        if member:
            _, changed = await StaffDepartment.get_or_create(
                staff_id=staff_id, department_id=department_id
            )
        else:
            changed = bool(
                await StaffDepartment.filter(
                    staff_id=staff_id, department_id=department_id
                ).delete()
            )
        if changed:
            await history.record(
                actor,
                "staff",
                staff_id,
                HistoryKind.LINKED if member else HistoryKind.UNLINKED,
                "department",
                before=None if member else department_id,
                after=department_id if member else None,
            )


async def departments(actor: Actor) -> list[Department]:
    require_settings(actor)
    return await Department.all().order_by("name", "id")


async def roles(actor: Actor) -> list[Role]:
    require_settings(actor)
    return await Role.all().order_by("name", "id")


async def role(actor: Actor, role_id: int) -> Role:
    require_settings(actor)
    found = await Role.get_or_none(id=role_id)
    if found is None:
        raise NotFoundError(f"role #{role_id} does not exist")
    return found


async def set_role_settings_right(actor: Actor, role_id: int, allowed: bool) -> Role:
    """Give a role the settings right or take it away; only administrators give it.

    Raises PermissionDeniedError or NotFoundError; returns the role.
    """
    require_settings(actor)
    require_within_own_levels(actor, {}, allowed)
    async with in_transaction():
        current = await Role.get_or_none(id=role_id)
        if current is None:
            raise NotFoundError(f"role #{role_id} does not exist")
        if current.can_manage_settings != allowed:
            await Role.filter(id=role_id).update(can_manage_settings=allowed)
            await history.record_changes(
                actor, "role", role_id, {"can_manage_settings": (not allowed, allowed)}
            )
    return await Role.get(id=role_id)


# --- invites (F9) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InviteView:
    token: str
    expires_at: datetime
    role_name: str
    department_name: str | None


async def make_invite(actor: Actor, role_id: int, department_id: int | None = None) -> InviteView:
    """A single-use invite (see crm.staff.create_invite) with the names an admin is shown."""
    invite = await staff.create_invite(actor, role_id, department_id)
    role_name = await Role.filter(id=role_id).values_list("name", flat=True)
    department = None
    if department_id is not None:
        department = await Department.get_or_none(id=department_id)
    return InviteView(
        token=invite.token,
        expires_at=invite.expires_at,
        role_name=str(role_name[0]) if role_name else "",
        department_name=department.name if department else None,
    )
