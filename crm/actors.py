"""Who is acting: a staff member with their rights, or a system actor (web form, import, CLI)."""

from dataclasses import dataclass, field

from crm.errors import NotFoundError, PermissionDeniedError
from crm.rules.permissions import Reach, combine_levels
from models import Department, Staff, StaffDepartment, StaffRole
from models.enums import Action, Level

ALL_LEVELS = {action: Level.ALL for action in Action}


@dataclass(frozen=True, slots=True)
class Actor:
    """A snapshot of who acts and what they may do; built once per request."""

    label: str
    staff_id: int | None = None
    telegram_id: int | None = None
    language: str = "en"
    timezone: str = "UTC"
    is_admin: bool = False
    can_manage_settings: bool = False
    levels: dict[Action, Level] = field(default_factory=dict)
    reach: Reach = field(default_factory=lambda: Reach(staff_id=None))
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_system(self) -> bool:
        return self.staff_id is None

    def level(self, action: Action) -> Level:
        return self.levels.get(action, Level.NONE)


def system_actor(label: str) -> Actor:
    """A trusted caller such as 'web form contact', 'import #7' or 'cli': every right, no staff."""
    return Actor(label=label, is_admin=True, can_manage_settings=True, levels=dict(ALL_LEVELS))


async def _department_tree(roots: set[int]) -> set[int]:
    """The given departments and every sub-department below them."""
    if not roots:
        return set()
    rows = await Department.all().values_list("id", "parent_id")
    children: dict[int, list[int]] = {}
    for dept_id, parent_id in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(dept_id)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, []))
    return seen


async def actor_for_staff(staff: Staff) -> Actor:
    """Build the actor of an active staff member; inactive staff are refused."""
    if not staff.is_active:
        raise PermissionDeniedError("this staff member is deactivated")
    roles = await StaffRole.filter(staff_id=staff.id).prefetch_related("role")
    levels = combine_levels(
        {
            Action.READ: link.role.read_level,
            Action.ADD: link.role.add_level,
            Action.EDIT: link.role.edit_level,
            Action.DELETE: link.role.delete_level,
            Action.EXPORT: link.role.export_level,
            Action.IMPORT: link.role.import_level,
        }
        for link in roles
    )
    if staff.is_admin:
        levels = dict(ALL_LEVELS)
    own_departments = set(
        await StaffDepartment.filter(staff_id=staff.id).values_list("department_id", flat=True)
    )
    # A department head reaches the department they head as if they were in it.
    own_departments |= set(await Department.filter(head_id=staff.id).values_list("id", flat=True))
    tree = await _department_tree(own_departments)
    department_staff: set[int] = set()
    tree_staff: set[int] = set()
    if tree:
        for staff_id, dept_id in await StaffDepartment.filter(
            department_id__in=list(tree)
        ).values_list("staff_id", "department_id"):
            tree_staff.add(staff_id)
            if dept_id in own_departments:
                department_staff.add(staff_id)
    return Actor(
        label=staff.name or f"staff #{staff.id}",
        staff_id=staff.id,
        telegram_id=staff.telegram_id,
        language=staff.language,
        timezone=staff.timezone,
        is_admin=staff.is_admin,
        can_manage_settings=staff.is_admin or any(link.role.can_manage_settings for link in roles),
        levels=levels,
        reach=Reach(
            staff_id=staff.id,
            department_staff=frozenset(department_staff),
            tree_staff=frozenset(tree_staff),
        ),
        department_ids=frozenset(own_departments),
    )


async def actor_for_telegram(telegram_id: int) -> Actor:
    """The actor of a Telegram user; unknown or inactive users are refused."""
    staff = await Staff.get_or_none(telegram_id=telegram_id)
    if staff is None:
        raise PermissionDeniedError("you are not a staff member")
    return await actor_for_staff(staff)


async def actor_for_staff_id(staff_id: int) -> Actor:
    staff = await Staff.get_or_none(id=staff_id)
    if staff is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    return await actor_for_staff(staff)
