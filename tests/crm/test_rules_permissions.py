"""Permission arithmetic (F9): combining roles, what each level reaches, and its query form."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.rules.permissions import (
    Reach,
    RecordFacts,
    Scope,
    combine_levels,
    level_allows,
    scope_for,
)
from models.enums import Action, Level

ME = 1
DEPT_MATE = 2  # in one of my departments
SUB_MATE = 3  # in a sub-department of one of mine
STRANGER = 4  # in another department
REACH = Reach(
    staff_id=ME,
    department_staff=frozenset({ME, DEPT_MATE}),
    tree_staff=frozenset({ME, DEPT_MATE, SUB_MATE}),
)

# For each kind of record, the lowest level that reaches it (None: no level but ALL).
OWN_RECORD = RecordFacts(responsible_id=ME)
SAME_DEPARTMENT = RecordFacts(responsible_id=DEPT_MATE)
SUB_DEPARTMENT = RecordFacts(responsible_id=SUB_MATE)
OTHER_DEPARTMENT = RecordFacts(responsible_id=STRANGER)
UNASSIGNED = RecordFacts(responsible_id=None)
OPENED = RecordFacts(responsible_id=STRANGER, opened=True)
OPENED_UNASSIGNED = RecordFacts(responsible_id=None, opened=True)
OBSERVED = RecordFacts(responsible_id=STRANGER, observer_ids=frozenset({ME}))
OBSERVED_BY_OTHERS = RecordFacts(responsible_id=STRANGER, observer_ids=frozenset({DEPT_MATE}))

# Whether each level reaches each kind of record, in Level order, written out row by row so that
# a wrong rule shows up as one row that differs, not as the same formula computed twice.
#                                         NONE OWN DEPT TREE OPEN ALL
EXPECTED: dict[str, tuple[RecordFacts, tuple[int, ...]]] = {
    "owner":              (OWN_RECORD,         (0,   1,  1,   1,   1,   1)),
    "same department":    (SAME_DEPARTMENT,    (0,   0,  1,   1,   1,   1)),
    "sub-department":     (SUB_DEPARTMENT,     (0,   0,  0,   1,   1,   1)),
    "other department":   (OTHER_DEPARTMENT,   (0,   0,  0,   0,   0,   1)),
    "unassigned":         (UNASSIGNED,         (0,   0,  0,   0,   0,   1)),
    "opened":             (OPENED,             (0,   0,  0,   0,   1,   1)),
    "opened unassigned":  (OPENED_UNASSIGNED,  (0,   0,  0,   0,   1,   1)),
    "observed by others": (OBSERVED_BY_OTHERS, (0,   0,  0,   0,   0,   1)),
}  # fmt: skip
# Observers read a record outside their level, but only with some read right (not at NONE).
OBSERVER_READS = (0, 1, 1, 1, 1, 1)
OBSERVER_WRITES = (0, 0, 0, 0, 0, 1)


def in_scope(scope: Scope, record: RecordFacts, *, observing: bool) -> bool:
    """A Scope evaluated on one record, as `scope_q` / `scope_sql` evaluate it in the database."""
    if scope.everything:
        return True
    if scope.nothing:
        return False
    if record.responsible_id is not None and record.responsible_id in scope.responsible_ids:
        return True
    if scope.include_opened and record.opened:
        return True
    return observing and scope.observer_id is not None and scope.observer_id in record.observer_ids


# --- combine_levels ---------------------------------------------------------------------------


def test_no_role_gives_no_right():
    assert combine_levels([]) == {action: Level.NONE for action in Action}


def test_one_role_gives_its_levels_and_none_for_what_it_leaves_out():
    levels = combine_levels([{Action.READ: Level.ALL, Action.EDIT: Level.OWN}])
    assert levels == {
        Action.READ: Level.ALL,
        Action.ADD: Level.NONE,
        Action.EDIT: Level.OWN,
        Action.DELETE: Level.NONE,
        Action.EXPORT: Level.NONE,
        Action.IMPORT: Level.NONE,
    }


def test_the_highest_level_of_several_roles_wins_per_action():
    seller = {
        Action.READ: Level.DEPARTMENT,
        Action.ADD: Level.ALL,
        Action.EDIT: Level.OWN,
        Action.DELETE: Level.NONE,
        Action.EXPORT: Level.NONE,
        Action.IMPORT: Level.OPEN,
    }
    auditor = {
        Action.READ: Level.ALL,
        Action.ADD: Level.NONE,
        Action.EDIT: Level.NONE,
        Action.DELETE: Level.NONE,
        Action.EXPORT: Level.DEPARTMENT_TREE,
        Action.IMPORT: Level.OWN,
    }
    expected = {
        Action.READ: Level.ALL,
        Action.ADD: Level.ALL,
        Action.EDIT: Level.OWN,
        Action.DELETE: Level.NONE,
        Action.EXPORT: Level.DEPARTMENT_TREE,
        Action.IMPORT: Level.OPEN,
    }
    assert combine_levels([seller, auditor]) == expected
    assert combine_levels([auditor, seller]) == expected


def test_a_lower_role_never_lowers_a_level():
    assert (
        combine_levels([{Action.READ: Level.ALL}, {Action.READ: Level.NONE}])[Action.READ]
        == Level.ALL
    )


def test_combine_levels_reads_a_generator_once():
    roles = ({Action.DELETE: level} for level in (Level.OWN, Level.OPEN, Level.DEPARTMENT))
    assert combine_levels(roles)[Action.DELETE] == Level.OPEN


@settings(max_examples=200, database=None, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(list(Action)), st.sampled_from(list(Level))), max_size=5
    )
)
def test_combine_levels_is_the_maximum_per_action(roles):
    combined = combine_levels(roles)
    assert set(combined) == set(Action)
    for action in Action:
        assert combined[action] == max(
            [role[action] for role in roles if action in role], default=Level.NONE
        )


# --- level_allows -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("observing", [False, True])
def test_each_level_reaches_exactly_its_records(kind, level, observing):
    record, allowed = EXPECTED[kind]
    assert level_allows(level, REACH, record, observing=observing) is bool(allowed[level.value])


@pytest.mark.parametrize("level", list(Level))
def test_an_observer_reads_but_does_not_write_outside_their_level(level):
    assert level_allows(level, REACH, OBSERVED, observing=True) is bool(OBSERVER_READS[level.value])
    assert level_allows(level, REACH, OBSERVED, observing=False) is bool(
        OBSERVER_WRITES[level.value]
    )


def test_sub_departments_are_reached_only_downwards():
    # A member of a sub-department is not in the parent's tree reach: the parent's records
    # are "another department" to them.
    sub_member = Reach(
        staff_id=SUB_MATE,
        department_staff=frozenset({SUB_MATE}),
        tree_staff=frozenset({SUB_MATE}),
    )
    assert not level_allows(Level.DEPARTMENT_TREE, sub_member, OWN_RECORD, observing=False)
    assert not level_allows(Level.OPEN, sub_member, OWN_RECORD, observing=True)
    assert level_allows(Level.ALL, sub_member, OWN_RECORD, observing=False)


def test_someone_without_departments_reaches_only_their_own_below_all():
    alone = Reach(staff_id=ME)
    for level in (Level.OWN, Level.DEPARTMENT, Level.DEPARTMENT_TREE, Level.OPEN):
        assert level_allows(level, alone, OWN_RECORD, observing=False)
        assert not level_allows(level, alone, SAME_DEPARTMENT, observing=False)


def test_an_actor_without_staff_reaches_no_unassigned_record_below_all():
    system = Reach(staff_id=None)
    assert not level_allows(Level.OPEN, system, UNASSIGNED, observing=True)
    assert level_allows(Level.OPEN, system, OPENED_UNASSIGNED, observing=False)
    assert level_allows(Level.ALL, system, UNASSIGNED, observing=False)


# --- scope_for ----------------------------------------------------------------------------------


def test_scope_of_none_is_nothing_and_of_all_is_everything():
    assert scope_for(Level.NONE, REACH) == Scope(nothing=True)
    assert scope_for(Level.ALL, REACH) == Scope(everything=True)


@pytest.mark.parametrize(
    ("level", "ids", "opened"),
    [
        (Level.OWN, {ME}, False),
        (Level.DEPARTMENT, {ME, DEPT_MATE}, False),
        (Level.DEPARTMENT_TREE, {ME, DEPT_MATE, SUB_MATE}, False),
        (Level.OPEN, {ME, DEPT_MATE, SUB_MATE}, True),
    ],
)
def test_scope_lists_the_responsible_staff_a_level_reaches(level, ids, opened):
    assert scope_for(level, REACH) == Scope(
        responsible_ids=frozenset(ids), include_opened=opened, observer_id=ME
    )


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("level", list(Level))
def test_scope_agrees_with_level_allows_on_every_kind_of_record(kind, level):
    record, allowed = EXPECTED[kind]
    for observing in (False, True):
        assert in_scope(scope_for(level, REACH), record, observing=observing) is bool(
            allowed[level.value]
        )


staff_ids = st.integers(min_value=1, max_value=6)
reaches = st.builds(
    Reach,
    staff_id=st.none() | staff_ids,
    department_staff=st.frozensets(staff_ids),
    tree_staff=st.frozensets(staff_ids),
)
records = st.builds(
    RecordFacts,
    responsible_id=st.none() | staff_ids,
    opened=st.booleans(),
    observer_ids=st.frozensets(staff_ids, max_size=3),
)


@settings(max_examples=1000, database=None, deadline=None)
@given(
    level=st.sampled_from(list(Level)),
    reach=reaches,
    record_set=st.lists(records, min_size=1, max_size=8),
    observing=st.booleans(),
)
def test_a_record_is_in_the_scope_exactly_when_the_level_allows_it(
    level, reach, record_set, observing
):
    scope = scope_for(level, reach)
    in_the_scope = [in_scope(scope, r, observing=observing) for r in record_set]
    allowed = [level_allows(level, reach, r, observing=observing) for r in record_set]
    assert in_the_scope == allowed


@settings(max_examples=300, database=None, deadline=None)
@given(reach=reaches, record=records, observing=st.booleans())
def test_a_higher_level_never_reaches_less(reach, record, observing):
    allowed = [level_allows(level, reach, record, observing=observing) for level in Level]
    # Once a level allows a record, every higher level does too.
    assert allowed == sorted(allowed)
