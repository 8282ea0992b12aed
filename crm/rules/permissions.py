"""Permission arithmetic (F9): levels per action, highest role wins, what a level reaches."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from models.enums import Action, Level


def combine_levels(role_levels: Iterable[Mapping[Action, Level]]) -> dict[Action, Level]:
    """Several roles: for each action the highest level wins."""
    result = {action: Level.NONE for action in Action}
    for levels in role_levels:
        for action, level in levels.items():
            if level > result[action]:
                result[action] = level
    return result


@dataclass(frozen=True, slots=True)
class Reach:
    """Which staff members' records an actor reaches at each department level."""

    staff_id: int | None
    department_staff: frozenset[int] = field(default_factory=frozenset)
    tree_staff: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What a permission decision needs to know about a record."""

    responsible_id: int | None
    opened: bool = False
    observer_ids: frozenset[int] = field(default_factory=frozenset)


def level_allows(level: Level, reach: Reach, record: RecordFacts, *, observing: bool) -> bool:
    """Whether `level` covers `record` for someone with `reach`.

    Observers may read a record even if it is outside their level, as in Bitrix24, but only when
    they have some read right at all (`observing` is True only for reads).
    """
    if level == Level.NONE:
        return False
    if level == Level.ALL:
        return True
    if observing and reach.staff_id is not None and reach.staff_id in record.observer_ids:
        return True
    if level >= Level.OPEN and record.opened:
        return True
    responsible = record.responsible_id
    if responsible is None:
        return False
    if responsible == reach.staff_id:
        return True
    if level >= Level.DEPARTMENT_TREE and responsible in reach.tree_staff:
        return True
    return level >= Level.DEPARTMENT and responsible in reach.department_staff


@dataclass(frozen=True, slots=True)
class Scope:
    """A level turned into data a query can use: everything, or responsible ids (+ opened)."""

    everything: bool = False
    nothing: bool = False
    responsible_ids: frozenset[int] = field(default_factory=frozenset)
    include_opened: bool = False
    observer_id: int | None = None


def scope_for(level: Level, reach: Reach) -> Scope:
    """The records a level reaches, as a Scope (the query form of `level_allows`)."""
    if level == Level.NONE:
        return Scope(nothing=True)
    if level == Level.ALL:
        return Scope(everything=True)
    ids: set[int] = set()
    if reach.staff_id is not None:
        ids.add(reach.staff_id)
    if level >= Level.DEPARTMENT:
        ids |= reach.department_staff
    if level >= Level.DEPARTMENT_TREE:
        ids |= reach.tree_staff
    return Scope(
        responsible_ids=frozenset(ids),
        include_opened=level >= Level.OPEN,
        observer_id=reach.staff_id,
    )
