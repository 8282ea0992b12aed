"""Staff, departments, roles and invites (F9): who works here and what they may do."""

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm import config, history
from crm.actors import Actor, system_actor
from crm.db import utcnow
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from crm.permissions import (
    require_admin,
    require_may_change_reach,
    require_settings,
    require_within_own_levels,
)
from crm.rules.fields import FieldError, clean_string
from crm.rules.names import clean_label
from models import Department, Invite, Role, Staff, StaffDepartment, StaffRole
from models.enums import Action, HistoryKind, Level

LANGUAGES = ("en", "fr")
INVITE_TTL = timedelta(days=7)
# Tokens are made by secrets.token_urlsafe; anything else cannot be one (and is not sent to
# the database, where a NUL byte or an over-long value is an error of its own).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TELEGRAM_ID = 2**63 - 1  # a BIGINT column


def _clean_name(field: str, value: str | None, max_length: int) -> str | None:
    """A one-line name, trimmed; raises ValidationError keyed by `field`."""
    try:
        return clean_string(value, max_length)
    except FieldError as exc:
        raise ValidationError({field: str(exc)}) from exc


def _profile_name(name: str | None) -> str:
    """A Telegram profile name as a staff name: never refused (it is not typed here), tidied."""
    return " ".join(str(name or "").replace("\x00", "").split())[:200]


def _check_telegram_id(telegram_id: object) -> int:
    if (
        isinstance(telegram_id, bool)
        or not isinstance(telegram_id, int)
        or not 0 < telegram_id <= MAX_TELEGRAM_ID
    ):
        raise ValidationError({"telegram_id": "must be a positive Telegram user id"})
    return telegram_id


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
    """Add (or reactivate) a staff member by Telegram id; raises ValidationError.

    Only administrators make administrators, bring one back or change an administrator's or
    their own departments; roles above the actor's own are refused (PermissionDeniedError).
    """
    require_settings(actor)
    if admin:
        require_admin(actor, "make administrators")
    await _check_grantable(actor, role_ids or [])
    _check_telegram_id(telegram_id)
    clean_name = _clean_name("name", name, 200) or ""
    async with in_transaction():
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        created = staff is None
        if staff is None:
            staff = await Staff.create(
                telegram_id=telegram_id,
                name=clean_name,
                is_admin=admin,
                language=_language(language),
                timezone=config.current().timezone,
            )
        else:
            if department_ids or not staff.is_active:
                require_may_change_reach(
                    actor,
                    staff.id,
                    is_admin=staff.is_admin,
                    what="departments" if department_ids else "active status",
                )
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
        await history.record(
            actor,
            "staff",
            staff.id,
            HistoryKind.CREATED if created else HistoryKind.CHANGED,
            field="admin" if staff.is_admin else None,
            after=staff.name or staff.telegram_id,
        )
    return staff


def _role_levels(role: Role) -> dict[Action, Level]:
    return {action: getattr(role, f"{action.value}_level") for action in Action}


async def _check_grantable(actor: Actor, role_ids: list[int]) -> None:
    for role in await Role.filter(id__in=role_ids):
        require_within_own_levels(actor, _role_levels(role), role.can_manage_settings)


async def ensure_admins(telegram_ids: list[int]) -> None:
    """Make ADMIN_TELEGRAM_IDS active admins (run at start-up; idempotent)."""
    for telegram_id in telegram_ids:
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        if staff is None:
            await Staff.create(
                telegram_id=telegram_id, is_admin=True, timezone=config.current().timezone
            )
        elif not (staff.is_admin and staff.is_active):
            await Staff.filter(id=staff.id).update(is_admin=True, is_active=True)


async def deactivate_staff(actor: Actor, staff_id: int) -> None:
    """Deactivate a member (they are refused from their next message); only an administrator
    may deactivate an administrator."""
    require_settings(actor)
    if staff_id == actor.staff_id:
        raise ValidationError({"staff_id": "you cannot deactivate yourself"})
    if not actor.is_admin and await Staff.exists(id=staff_id, is_admin=True):
        raise PermissionDeniedError("only administrators may deactivate an administrator")
    async with in_transaction():
        if not await Staff.filter(id=staff_id).update(is_active=False):
            raise NotFoundError(f"staff member #{staff_id} does not exist")
        await history.record(actor, "staff", staff_id, HistoryKind.CHANGED, "active", True, False)


async def reactivate_staff(actor: Actor, staff_id: int) -> None:
    """Let a deactivated member back in (idempotent, audited); only administrators bring back
    an administrator. Raises PermissionDeniedError or NotFoundError."""
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


async def complete_profile(actor: Actor, telegram_name: str, language: str | None) -> Staff:
    """On a staff member's first /start, take their Telegram name and language if they have none.

    Admins made from ADMIN_TELEGRAM_IDS start nameless; a name they or an admin set is kept.
    """
    if actor.staff_id is None:
        raise ValidationError({"staff": "system actors have no profile"})
    name = _profile_name(telegram_name)
    if name:
        # One conditional UPDATE: a name set meanwhile (by the member or an admin) is kept.
        await Staff.filter(id=actor.staff_id, name="").update(
            name=name, language=_language(language)
        )
    return await Staff.get(id=actor.staff_id)


async def update_profile(
    actor: Actor,
    *,
    language: str | None = None,
    timezone: str | None = None,
    agenda_hour: int | None = None,
) -> Staff:
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
            raise ValidationError(
                {"timezone": "is not a known time zone such as Europe/Paris"}
            ) from exc
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
    """A department; raises ValidationError, or PermissionDeniedError when a settings manager
    would head it themselves or make an administrator its head."""
    require_settings(actor)
    clean_name = clean_label(name, "name", 200)
    if parent_id is not None and not await Department.exists(id=parent_id):
        raise ValidationError({"parent_id": "does not exist"})
    if head_id is not None:
        head = await Staff.get_or_none(id=head_id)
        if head is None:
            raise ValidationError({"head_id": "does not exist"})
        # A head reaches the department (and its sub-departments) as if they were in it.
        require_may_change_reach(actor, head.id, is_admin=head.is_admin)
    return await Department.create(name=clean_name, parent_id=parent_id, head_id=head_id)


async def _reached_departments(
    conn: BaseDBAsyncClient, staff_id: int, parents: dict[int, int | None]
) -> set[int]:
    """The departments a member reaches: those they are in or head, and every one below them."""
    own = set(
        await StaffDepartment.filter(staff_id=staff_id)
        .using_db(conn)
        .values_list("department_id", flat=True)
    )
    own |= set(
        await Department.filter(head_id=staff_id).using_db(conn).values_list("id", flat=True)
    )
    reached = set()
    for department in parents:
        current: int | None = department
        seen: set[int] = set()
        while current is not None and current not in seen:
            if current in own:
                reached.add(department)
                break
            seen.add(current)
            current = parents.get(current)
    return reached


async def move_department(actor: Actor, department_id: int, parent_id: int | None) -> None:
    """Re-parent a department; refuses cycles (NotFoundError, ValidationError) and, to anyone
    but an administrator, a move that brings a department into the mover's own reach
    (PermissionDeniedError)."""
    require_settings(actor)
    async with in_transaction() as conn:
        # Lock the tree while checking it: two crossing moves (A under B, B under A) would
        # each pass the check alone and make a cycle together. PostgreSQL: lock every
        # department row (in id order, so two movers queue instead of deadlocking), then read
        # the committed tree. SQLite runs one transaction at a time anyway.
        if conn.capabilities.dialect != "sqlite":
            await conn.execute_query("SELECT id FROM department ORDER BY id FOR UPDATE")
        rows = await Department.all().using_db(conn).values_list("id", "parent_id")
        parents = dict(rows)
        if department_id not in parents:
            raise NotFoundError(f"department #{department_id} does not exist")
        current = parent_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            if current == department_id:
                raise ValidationError(
                    {"parent_id": "would make a department its own sub-department"}
                )
            if current not in parents:
                raise ValidationError({"parent_id": "does not exist"})
            seen.add(current)
            current = parents[current]
        if actor.staff_id is not None:
            reached = await _reached_departments(conn, actor.staff_id, parents)
            if parent_id in reached and department_id not in reached:
                # Under a department of theirs, its staff would come into the mover's reach.
                require_may_change_reach(actor, actor.staff_id, is_admin=actor.is_admin)
        await Department.filter(id=department_id).update(parent_id=parent_id)


def _level(raw: Any) -> Level:
    """A level from its name ('department_tree', 'Department tree') or its number."""
    if isinstance(raw, Level):
        return raw
    if isinstance(raw, str):
        return Level[raw.strip().upper().replace("-", "_").replace(" ", "_")]
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Level(raw)
    raise ValueError(raw)


def _levels(data: dict[str, Any]) -> dict[str, Level]:
    errors: dict[str, str] = {}
    out: dict[str, Level] = {}
    actions = {action.value for action in Action}
    names = ", ".join(level.name.lower() for level in Level)
    for key, raw in data.items():
        if key not in actions:
            errors[str(key)] = "is not an action"
            continue
        try:
            out[f"{key}_level"] = _level(raw)
        except (KeyError, ValueError):
            errors[key] = f"must be one of {names}"
    if errors:
        raise ValidationError(errors)
    return out


async def create_role(
    actor: Actor, name: str, levels: dict[str, Any], *, can_manage_settings: bool = False
) -> Role:
    """A role with a level per action, e.g. {'read': 'department', 'edit': 'own'}.

    Raises PermissionDeniedError or ValidationError; actions left out get 'none'.
    """
    require_settings(actor)
    clean_name = clean_label(name, "name", 100)
    clean_levels: dict[str, Any] = dict(_levels(levels))
    require_within_own_levels(
        actor,
        {Action(k.removesuffix("_level")): v for k, v in clean_levels.items()},
        can_manage_settings,
    )
    name_taken = ValidationError({"name": "another role has this name"})
    if await Role.exists(name=clean_name):
        raise name_taken
    try:
        async with in_transaction():
            role = await Role.create(
                name=clean_name, can_manage_settings=can_manage_settings, **clean_levels
            )
            await history.record(actor, "role", role.id, HistoryKind.CREATED, after=clean_name)
            return role
    except IntegrityError as exc:  # created by someone else since the check
        raise name_taken from exc


async def update_role(
    actor: Actor,
    role_id: int,
    levels: dict[str, Any] | None = None,
    *,
    can_manage_settings: bool | None = None,
) -> Role:
    """Change some levels of a role and/or give it the settings right or take it away.

    The guard of every role change: no level above the actor's own, and only administrators
    give the settings right. Raises PermissionDeniedError, NotFoundError or ValidationError;
    changes are audited; returns the role.
    """
    require_settings(actor)
    changes: dict[str, Any] = dict(_levels(levels or {}))
    require_within_own_levels(
        actor,
        {Action(k.removesuffix("_level")): v for k, v in changes.items()},
        bool(can_manage_settings),
    )
    async with in_transaction():
        role = await Role.get_or_none(id=role_id)
        if role is None:
            raise NotFoundError(f"role #{role_id} does not exist")
        audit: dict[str, tuple[Any, Any]] = {
            k: (getattr(role, k).name.lower(), v.name.lower()) for k, v in changes.items()
        }
        if can_manage_settings is not None and role.can_manage_settings != can_manage_settings:
            changes["can_manage_settings"] = can_manage_settings
            audit["can_manage_settings"] = (not can_manage_settings, can_manage_settings)
        if changes:
            await Role.filter(id=role_id).update(**changes)
            await history.record_changes(actor, "role", role_id, audit)
    return await Role.get(id=role_id)


async def list_roles(actor: Actor) -> list[Role]:
    """Every role by name (settings right)."""
    require_settings(actor)
    return await Role.all().order_by("name", "id")


async def get_role(actor: Actor, role_id: int) -> Role:
    """One role; raises PermissionDeniedError or NotFoundError."""
    require_settings(actor)
    found = await Role.get_or_none(id=role_id)
    if found is None:
        raise NotFoundError(f"role #{role_id} does not exist")
    return found


async def change_roles(
    actor: Actor,
    staff_id: int,
    *,
    grant: Collection[int] = (),
    revoke: Collection[int] = (),
    revoke_others: bool = False,
) -> list[Role]:
    """Give a member the roles `grant` and take away `revoke` (with `revoke_others`, every
    role not in `grant`: "exactly these roles"), in one transaction, each change audited.

    The guard of every role change: the settings right, and no role above the actor's own
    levels given or taken. Raises PermissionDeniedError or NotFoundError (an unknown member or
    role) and then changes nothing; returns the roles the member holds afterwards, by name.
    """
    require_settings(actor)
    wanted, unwanted = set(grant), set(revoke)
    async with in_transaction():
        # Lock the member (PostgreSQL): two changes to their roles queue instead of each
        # reading the roles held before the other's commit. SQLite: one writer at a time anyway.
        if not await Staff.filter(id=staff_id).select_for_update(no_key=True).exists():
            raise NotFoundError(f"staff member #{staff_id} does not exist")
        named = wanted | unwanted
        found = set(await Role.filter(id__in=named).values_list("id", flat=True))
        if found != named:
            unknown = ", ".join(f"#{i}" for i in sorted(named - found))
            raise NotFoundError(f"role {unknown} does not exist")
        held = set(await StaffRole.filter(staff_id=staff_id).values_list("role_id", flat=True))
        if revoke_others:
            unwanted |= held - wanted
        added, removed = sorted(wanted - held), sorted((unwanted - wanted) & held)
        await _check_grantable(actor, [*added, *removed])
        for role_id in added:
            await StaffRole.create(staff_id=staff_id, role_id=role_id)
            await history.record(
                actor, "staff", staff_id, HistoryKind.LINKED, "role", after=role_id
            )
        if removed:
            await StaffRole.filter(staff_id=staff_id, role_id__in=removed).delete()
        for role_id in removed:
            await history.record(
                actor, "staff", staff_id, HistoryKind.UNLINKED, "role", before=role_id
            )
    return await Role.filter(staff_links__staff_id=staff_id).order_by("name", "id")


async def grant_role(actor: Actor, staff_id: int, role_id: int) -> None:
    """Give one role (the bot's toggle); see change_roles."""
    await change_roles(actor, staff_id, grant=[role_id])


async def revoke_role(actor: Actor, staff_id: int, role_id: int) -> None:
    """Take one role away (the bot's toggle); see change_roles."""
    await change_roles(actor, staff_id, revoke=[role_id])


async def change_departments(
    actor: Actor,
    staff_id: int,
    *,
    join: Collection[int] = (),
    leave: Collection[int] = (),
    leave_others: bool = False,
) -> list[Department]:
    """Put a member in the departments `join` and take them out of `leave` (with
    `leave_others`, out of every department not in `join`: "exactly these"), in one
    transaction, each change audited; joining one they are in already changes nothing.

    The guard of every change to a member's departments: the settings right, and
    `require_may_change_reach` (no one widens their own reach; only administrators change an
    administrator's). Raises PermissionDeniedError, NotFoundError (an unknown member) or
    ValidationError (an unknown department) and then changes nothing; returns the departments
    the member is in afterwards, by name.
    """
    require_settings(actor)
    member = await Staff.get_or_none(id=staff_id)
    if member is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    require_may_change_reach(actor, staff_id, is_admin=member.is_admin)
    wanted, unwanted = set(join), set(leave)
    named = wanted | unwanted
    if await Department.filter(id__in=named).count() != len(named):
        raise ValidationError({"department_ids": "must be existing departments"})
    async with in_transaction():
        held = set(
            await StaffDepartment.filter(staff_id=staff_id).values_list("department_id", flat=True)
        )
        if leave_others:
            unwanted |= held - wanted
        added, removed = sorted(wanted - held), sorted((unwanted - wanted) & held)
        for department_id in added:
            await StaffDepartment.create(staff_id=staff_id, department_id=department_id)
            await history.record(
                actor, "staff", staff_id, HistoryKind.LINKED, "department", after=department_id
            )
        if removed:
            await StaffDepartment.filter(staff_id=staff_id, department_id__in=removed).delete()
        for department_id in removed:
            await history.record(
                actor, "staff", staff_id, HistoryKind.UNLINKED, "department", before=department_id
            )
    return await Department.filter(staff_links__staff_id=staff_id).order_by("name", "id")


async def list_departments(actor: Actor) -> list[Department]:
    """Every department by name (settings right)."""
    require_settings(actor)
    return await Department.all().order_by("name", "id")


async def create_invite(
    actor: Actor, role_id: int, department_id: int | None = None, ttl: timedelta = INVITE_TTL
) -> Invite:
    """A single-use token for the deep link `/start inv_<token>`, with its role and department
    loaded (their names are shown to whoever made it).

    Raises PermissionDeniedError (settings right, a role above the actor's own) or
    ValidationError."""
    require_settings(actor)
    if not await Role.exists(id=role_id):
        raise ValidationError({"role_id": "does not exist"})
    await _check_grantable(actor, [role_id])
    if department_id is not None and not await Department.exists(id=department_id):
        raise ValidationError({"department_id": "does not exist"})
    if not timedelta(minutes=5) <= ttl <= timedelta(days=90):
        raise ValidationError({"ttl": "must be between 5 minutes and 90 days"})
    invite = await Invite.create(
        # 24 bytes -> 32 URL-safe characters: within Telegram's 64-character /start payload.
        token=secrets.token_urlsafe(24),
        role_id=role_id,
        department_id=department_id,
        created_by_id=actor.staff_id,
        expires_at=utcnow() + ttl,
    )
    await invite.fetch_related("role", "department")
    return invite


@dataclass(frozen=True, slots=True)
class Joined:
    staff: Staff
    created: bool


async def accept_invite(
    token: str, telegram_id: int, name: str = "", language: str | None = None
) -> Joined:
    """Turn the Telegram user into active staff with the invite's role and department.

    Raises NotFoundError (unknown token) or ConflictError (used or expired); single use even
    when two people, or one person twice, press the link at the same moment. For an existing
    member the invite's maker is held to the settings screens' rule (PermissionDeniedError, the
    invite left unused): no one joins a department or comes back through their own invite,
    and only an administrator's invite changes an administrator.
    """
    _check_telegram_id(telegram_id)
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFoundError("this invite link is not valid")
    clean_name = _profile_name(name)
    try:
        return await _accept(token, telegram_id, clean_name, language)
    except IntegrityError:
        # The same person joined through another link at this very moment and won the
        # unique Telegram id; this attempt was rolled back whole, so run it again as them.
        return await _accept(token, telegram_id, clean_name, language)


async def _accept(token: str, telegram_id: int, name: str, language: str | None) -> Joined:
    invite = await Invite.get_or_none(token=token)
    if invite is None:
        raise NotFoundError("this invite link is not valid")
    used = ConflictError("this invite link was already used")
    expired = ConflictError("this invite link has expired; ask for a new one")
    now = utcnow()
    if invite.used_at is not None:
        raise used
    if invite.expires_at <= now:
        raise expired
    async with in_transaction():
        # Claim the invite first, with a conditional update: of two concurrent accepts the
        # second waits on the row (PostgreSQL) or the transaction (SQLite) and claims nothing.
        claimed = await Invite.filter(id=invite.id, used_at=None, expires_at__gt=now).update(
            used_at=now
        )
        if claimed != 1:
            raise used
        staff = await Staff.get_or_none(telegram_id=telegram_id)
        created = staff is None
        if staff is None:
            staff = await Staff.create(
                telegram_id=telegram_id,
                name=name,
                language=_language(language),
                # New members start in the team's time zone (TIMEZONE); /language changes it.
                timezone=config.current().timezone,
            )
        else:
            if not staff.is_active and staff.is_admin:
                # Only an administrator brings an administrator back (reactivate_staff); an
                # invite made by a settings manager must not.
                raise ConflictError(
                    "this account is a deactivated administrator; ask an administrator"
                )
            if invite.department_id is not None or not staff.is_active:
                require_may_change_reach(
                    await _inviter(invite),
                    staff.id,
                    is_admin=staff.is_admin,
                    what="departments" if invite.department_id is not None else "active status",
                )
            if not staff.is_active:
                await Staff.filter(id=staff.id).update(is_active=True)
                staff.is_active = True
        await Invite.filter(id=invite.id).update(used_by_id=staff.id)
        joiner = Actor(label=staff.name or f"staff #{staff.id}", staff_id=staff.id)
        await history.record(
            joiner, "staff", staff.id, HistoryKind.CHANGED, "joined", None, f"invite #{invite.id}"
        )
        await StaffRole.get_or_create(staff_id=staff.id, role_id=invite.role_id)
        if invite.department_id is not None:
            await StaffDepartment.get_or_create(
                staff_id=staff.id, department_id=invite.department_id
            )
    return Joined(staff=staff, created=created)


async def _inviter(invite: Invite) -> Actor:
    """Who made an invite, as the reach guard sees them; an invite made by a system actor (the
    CLI) has no maker and is trusted like one. Staff rows are never deleted."""
    if invite.created_by_id is None:
        return system_actor(f"invite #{invite.id}")
    maker = await Staff.get(id=invite.created_by_id)
    return Actor(
        label=maker.name or f"staff #{maker.id}", staff_id=maker.id, is_admin=maker.is_admin
    )


async def staff_by_telegram_id(actor: Actor, telegram_id: int) -> Staff:
    """The staff member (active or not) with this Telegram id; raises NotFoundError."""
    require_settings(actor)
    member = await Staff.get_or_none(telegram_id=_check_telegram_id(telegram_id))
    if member is None:
        raise NotFoundError(f"no staff member has Telegram id {telegram_id}")
    return member


async def list_staff(actor: Actor, include_inactive: bool = False) -> list[Staff]:
    """Staff by name, to pick from (any staff member may): the active ones, then, with
    `include_inactive`, the deactivated ones."""
    query = Staff.all() if include_inactive else Staff.filter(is_active=True)
    members = await query.order_by("name", "id")
    return [m for m in members if m.is_active] + [m for m in members if not m.is_active]


async def staff_members(actor: Actor) -> list[Staff]:
    """The whole team as administrators manage it: active members by name, then the
    deactivated ones; raises PermissionDeniedError without the settings right."""
    require_settings(actor)
    return await list_staff(actor, include_inactive=True)


@dataclass(frozen=True, slots=True)
class StaffView:
    staff: Staff
    roles: list[Role]  # the roles they hold, by name
    departments: list[Department]  # the departments they are in, by name


async def staff_member(actor: Actor, staff_id: int) -> StaffView:
    """A staff member with their roles and departments; raises PermissionDeniedError or
    NotFoundError."""
    require_settings(actor)
    member = await Staff.get_or_none(id=staff_id)
    if member is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    held = await Role.filter(staff_links__staff_id=staff_id).order_by("name", "id")
    member_of = await Department.filter(staff_links__staff_id=staff_id).order_by("name", "id")
    return StaffView(member, held, member_of)


async def preferences_of(telegram_id: int) -> tuple[str, str] | None:
    """The language and time zone of the active staff member with this Telegram id, or None
    (whoever else writes to the bot is answered in their Telegram language)."""
    row = (
        await Staff.filter(telegram_id=telegram_id, is_active=True)
        .first()
        .values_list("language", "timezone")
    )
    return (str(row[0]), str(row[1])) if row else None
