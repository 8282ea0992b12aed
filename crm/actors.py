"""Who is acting: a staff member with their rights, or a system actor (web form, import, CLI)."""

from dataclasses import dataclass, field
from typing import Any

from crm.db import Params, connection, dialect
from crm.errors import NotFoundError, PermissionDeniedError
from crm.rules.permissions import Reach
from models import Staff
from models.enums import Action, Level

ALL_LEVELS = {action: Level.ALL for action in Action}
# Column names from the Action enum (constants, not input): "MAX(r.read_level) AS lvl_read, ...".
_STAFF_COLUMNS = "s.id, s.telegram_id, s.name, s.language, s.timezone, s.is_admin, s.is_active"
_LEVEL_COLUMNS = ", ".join(f"MAX(r.{a.value}_level) AS lvl_{a.value}" for a in Action)


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


async def _member(column: str, value: int) -> dict[str, Any] | None:
    """A staff row with the highest level per action over their roles and the settings right,
    in one query (`column` is "id" or "telegram_id", chosen in this module)."""
    p = Params(dialect())
    rows = await connection().execute_query_dict(
        f"SELECT {_STAFF_COLUMNS}, {_LEVEL_COLUMNS},"
        " MAX(CASE WHEN r.can_manage_settings THEN 1 ELSE 0 END) AS settings"
        " FROM staff s LEFT JOIN staff_role sr ON sr.staff_id = s.id"
        " LEFT JOIN role r ON r.id = sr.role_id"
        f" WHERE s.{column} = {p(value)} GROUP BY {_STAFF_COLUMNS}",
        p.values,
    )
    return rows[0] if rows else None


async def _reach(staff_id: int) -> tuple[set[int], set[int], set[int]]:
    """(own departments, staff of those, staff of those and every sub-department), one query.

    A department head reaches the department they head as if they were in it.
    """
    p = Params(dialect())
    me, me_again = p(staff_id), p(staff_id)
    rows = await connection().execute_query_dict(
        "WITH RECURSIVE own(id) AS ("
        f" SELECT department_id FROM staff_department WHERE staff_id = {me}"
        f" UNION SELECT id FROM department WHERE head_id = {me_again}"
        "), tree(id) AS ("
        " SELECT id FROM own UNION SELECT d.id FROM department d JOIN tree t ON d.parent_id = t.id"
        ")"
        " SELECT sd.staff_id AS staff_id, sd.department_id AS department_id,"
        " CASE WHEN sd.department_id IN (SELECT id FROM own) THEN 1 ELSE 0 END AS mine"
        " FROM staff_department sd WHERE sd.department_id IN (SELECT id FROM tree)"
        " UNION ALL SELECT NULL, id, 1 FROM own",
        p.values,
    )
    own = {int(r["department_id"]) for r in rows if r["mine"]}
    department_staff = {int(r["staff_id"]) for r in rows if r["mine"] and r["staff_id"]}
    tree_staff = {int(r["staff_id"]) for r in rows if r["staff_id"] is not None}
    return own, department_staff, tree_staff


async def _actor(row: dict[str, Any]) -> Actor:
    if not row["is_active"]:
        raise PermissionDeniedError("this staff member is deactivated")
    staff_id, is_admin = int(row["id"]), bool(row["is_admin"])
    levels = {action: Level(row[f"lvl_{action.value}"] or 0) for action in Action}
    if is_admin:
        levels = dict(ALL_LEVELS)
    own_departments, department_staff, tree_staff = await _reach(staff_id)
    return Actor(
        label=row["name"] or f"staff #{staff_id}",
        staff_id=staff_id,
        telegram_id=int(row["telegram_id"]),
        language=row["language"],
        timezone=row["timezone"],
        is_admin=is_admin,
        can_manage_settings=is_admin or bool(row["settings"]),
        levels=levels,
        reach=Reach(
            staff_id=staff_id,
            department_staff=frozenset(department_staff),
            tree_staff=frozenset(tree_staff),
        ),
        department_ids=frozenset(own_departments),
    )


async def actor_for_staff(staff: Staff) -> Actor:
    """Build the actor of an active staff member (as stored now); inactive staff are refused.

    Two queries (the member with their roles, their departments): it runs for every bot
    update, so it is kept cheap rather than cached, and a change of rights applies to the
    very next update.
    """
    return await actor_for_staff_id(staff.id)


async def actor_for_telegram(telegram_id: int) -> Actor:
    """The actor of a Telegram user; unknown or inactive users are refused."""
    row = await _member("telegram_id", telegram_id)
    if row is None:
        raise PermissionDeniedError("you are not a staff member")
    return await _actor(row)


async def actor_for_staff_id(staff_id: int) -> Actor:
    row = await _member("id", staff_id)
    if row is None:
        raise NotFoundError(f"staff member #{staff_id} does not exist")
    return await _actor(row)
