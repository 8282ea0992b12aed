"""Staff, departments, roles and invites (F9): who works here and what they may do."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.transactions import in_transaction

from crm.actors import Actor
from crm.db import utcnow
from crm.errors import ConflictError, NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.fields import clean_string
from models import Department, Invite, Role, Staff, StaffDepartment, StaffRole
from models.enums import Action, Level

LANGUAGES = ("en", "fr")
INVITE_TTL = timedelta(days=7)


def _language(value: str | None, default: str = "en") -> str:
    code = (value or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


async def add_staff(
    actor: Actor,
    telegram_id: int,
    *,
    name: str = "",
    admin: bool = False,
    language: str | None = None,
    role_ids: list[int] | None = None,
    department_ids: list[int] | None = None,
) -> Staff:
    """Add (or reactivate) a staff member by Telegram id; raises ValidationError."""
    require_settings(actor)
    if not isinstance(telegram_id, int) or telegram_id <= 0:
        raise ValidationError({"telegram_id": "must be a positive Telegram user id"})
    clean_name = clean_string(name, 200) or ""
    async with in_transaction():
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        if staff is None:
            staff = await Staff.create(
                telegram_id=telegram_id,
                name=clean_name,
                is_admin=admin,
                language=_language(language),
            )
        else:
            staff.is_active = True
            staff.is_admin = staff.is_admin or admin
            staff.name = clean_name or staff.name
            await staff.save()
        for role_id in role_ids or []:
            if not await Role.exists(id=role_id):
                raise ValidationError({"role_ids": f"role #{role_id} does not exist"})
            await StaffRole.get_or_create(staff_id=staff.id, role_id=role_id)
        for dept_id in department_ids or []:
            if not await Department.exists(id=dept_id):
                raise ValidationError({"department_ids": f"department #{dept_id} does not exist"})
            await StaffDepartment.get_or_create(staff_id=staff.id, department_id=dept_id)
    return staff


async def ensure_admins(telegram_ids: list[int]) -> None:
    """Make ADMIN_TELEGRAM_IDS active admins (run at start-up; idempotent)."""
    for telegram_id in telegram_ids:
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        if staff is None:
            await Staff.create(telegram_id=telegram_id, is_admin=True)
        elif not (staff.is_admin and staff.is_active):
            await Staff.filter(id=staff.id).update(is_admin=True, is_active=True)


async def deactivate_staff(actor: Actor, staff_id: int) -> None:
    require_settings(actor)
    if staff_id == actor.staff_id:
        raise ValidationError({"staff_id": "you cannot deactivate yourself"})
    if not await Staff.filter(id=staff_id).update(is_active=False):
        raise NotFoundError(f"staff member #{staff_id} does not exist")


async def update_profile(actor: Actor, *, language: str | None = None, timezone: str | None = None,
                         agenda_hour: int | None = None) -> Staff:
    """A staff member's own preferences: language, time zone, agenda hour."""
    if actor.staff_id is None:
        raise ValidationError({"staff": "system actors have no profile"})
    changes: dict[str, Any] = {}
    if language is not None:
        if language not in LANGUAGES:
            raise ValidationError({"language": f"must be one of {', '.join(LANGUAGES)}"})
        changes["language"] = language
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": "is not a known time zone such as Europe/Paris"}) from exc
        changes["timezone"] = timezone
    if agenda_hour is not None:
        if not 0 <= agenda_hour <= 23:
            raise ValidationError({"agenda_hour": "must be between 0 and 23"})
        changes["agenda_hour"] = agenda_hour
    if changes:
        await Staff.filter(id=actor.staff_id).update(**changes)
    return await Staff.get(id=actor.staff_id)


async def create_department(
    actor: Actor, name: str, parent_id: int | None = None, head_id: int | None = None
) -> Department:
    require_settings(actor)
    clean_name = clean_string(name, 200)
    if not clean_name:
        raise ValidationError({"name": "is required"})
    if parent_id is not None and not await Department.exists(id=parent_id):
        raise ValidationError({"parent_id": "does not exist"})
    if head_id is not None and not await Staff.exists(id=head_id):
        raise ValidationError({"head_id": "does not exist"})
    return await Department.create(name=clean_name, parent_id=parent_id, head_id=head_id)


async def move_department(actor: Actor, department_id: int, parent_id: int | None) -> None:
    """Re-parent a department; refuses cycles."""
    require_settings(actor)
    current = parent_id
    parents = dict(await Department.all().values_list("id", "parent_id"))
    if department_id not in parents:
        raise NotFoundError(f"department #{department_id} does not exist")
    while current is not None:
        if current == department_id:
            raise ValidationError({"parent_id": "would make a department its own sub-department"})
        if current not in parents:
            raise ValidationError({"parent_id": "does not exist"})
        current = parents[current]
    await Department.filter(id=department_id).update(parent_id=parent_id)


def _levels(data: dict[str, Any]) -> dict[str, Level]:
    errors: dict[str, str] = {}
    out: dict[str, Level] = {}
    for action in Action:
        if action.value in data:
            raw = data[action.value]
            try:
                out[f"{action.value}_level"] = (
                    Level[raw.upper()] if isinstance(raw, str) else Level(int(raw))
                )
            except (KeyError, ValueError):
                names = ", ".join(level.name.lower() for level in Level)
                errors[action.value] = f"must be one of {names}"
    if errors:
        raise ValidationError(errors)
    return out


async def create_role(
    actor: Actor, name: str, levels: dict[str, Any], *, can_manage_settings: bool = False
) -> Role:
    """A role with a level per action, e.g. {'read': 'department', 'edit': 'own'}."""
    require_settings(actor)
    clean_name = clean_string(name, 100)
    if not clean_name:
        raise ValidationError({"name": "is required"})
    if await Role.exists(name=clean_name):
        raise ValidationError({"name": "another role has this name"})
    return await Role.create(
        name=clean_name, can_manage_settings=can_manage_settings, **_levels(levels)
    )


async def update_role(actor: Actor, role_id: int, levels: dict[str, Any]) -> Role:
    require_settings(actor)
    if not await Role.filter(id=role_id).update(**_levels(levels)) and not await Role.exists(id=role_id):
        raise NotFoundError(f"role #{role_id} does not exist")
    return await Role.get(id=role_id)


async def grant_role(actor: Actor, staff_id: int, role_id: int) -> None:
    require_settings(actor)
    if not await Staff.exists(id=staff_id) or not await Role.exists(id=role_id):
        raise NotFoundError("staff member or role does not exist")
    await StaffRole.get_or_create(staff_id=staff_id, role_id=role_id)


async def revoke_role(actor: Actor, staff_id: int, role_id: int) -> None:
    require_settings(actor)
    await StaffRole.filter(staff_id=staff_id, role_id=role_id).delete()


async def set_departments(actor: Actor, staff_id: int, department_ids: list[int]) -> None:
    require_settings(actor)
    if await Department.filter(id__in=department_ids).count() != len(set(department_ids)):
        raise ValidationError({"department_ids": "must be existing departments"})
    async with in_transaction():
        await StaffDepartment.filter(staff_id=staff_id).delete()
        for dept_id in set(department_ids):
            await StaffDepartment.create(staff_id=staff_id, department_id=dept_id)


async def create_invite(
    actor: Actor, role_id: int, department_id: int | None = None, ttl: timedelta = INVITE_TTL
) -> Invite:
    """A single-use token for the deep link `/start inv_<token>`."""
    require_settings(actor)
    if not await Role.exists(id=role_id):
        raise ValidationError({"role_id": "does not exist"})
    if department_id is not None and not await Department.exists(id=department_id):
        raise ValidationError({"department_id": "does not exist"})
    if not timedelta(minutes=5) <= ttl <= timedelta(days=90):
        raise ValidationError({"ttl": "must be between 5 minutes and 90 days"})
    return await Invite.create(
        # 24 bytes -> 32 URL-safe characters: within Telegram's 64-character /start payload.
        token=secrets.token_urlsafe(24),
        role_id=role_id,
        department_id=department_id,
        created_by_id=actor.staff_id,
        expires_at=utcnow() + ttl,
    )


@dataclass(frozen=True, slots=True)
class Joined:
    staff: Staff
    created: bool


async def accept_invite(
    token: str, telegram_id: int, name: str = "", language: str | None = None
) -> Joined:
    """Turn the Telegram user into active staff with the invite's role and department.

    Raises NotFoundError (unknown token) or ConflictError (used or expired); single use even
    when two people press the link at the same moment (conditional update).
    """
    invite = await Invite.get_or_none(token=token)
    if invite is None:
        raise NotFoundError("this invite link is not valid")
    now = utcnow()
    if invite.used_at is not None:
        raise ConflictError("this invite link was already used")
    if invite.expires_at <= now:
        raise ConflictError("this invite link has expired; ask for a new one")
    async with in_transaction():
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        created = staff is None
        if staff is None:
            staff = await Staff.create(
                telegram_id=telegram_id, name=clean_string(name, 200) or "", language=_language(language)
            )
        claimed = await Invite.filter(id=invite.id, used_at=None).update(used_at=now, used_by_id=staff.id)
        if claimed != 1:
            raise ConflictError("this invite link was already used")
        if not staff.is_active:
            await Staff.filter(id=staff.id).update(is_active=True)
            staff.is_active = True
        await StaffRole.get_or_create(staff_id=staff.id, role_id=invite.role_id)
        if invite.department_id is not None:
            await StaffDepartment.get_or_create(staff_id=staff.id, department_id=invite.department_id)
    return Joined(staff=staff, created=created)


async def list_staff(actor: Actor, include_inactive: bool = False) -> list[Staff]:
    query = Staff.all() if include_inactive else Staff.filter(is_active=True)
    return await query.order_by("name", "id")
