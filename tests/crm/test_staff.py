"""Staff, roles, departments and invites (F9) against a real database."""

import asyncio
from datetime import timedelta

import pytest

from crm import staff as staff_uc
from crm.actors import actor_for_staff, actor_for_telegram, system_actor
from crm.db import utcnow
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from models import Department, HistoryEntry, Invite, Role, Staff, StaffDepartment, StaffRole
from models.enums import Action, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _roles_of(staff_id: int) -> list[str]:
    return sorted(await Role.filter(staff_links__staff_id=staff_id).values_list("name", flat=True))


async def _departments_of(staff_id: int) -> list[int]:
    return sorted(
        await StaffDepartment.filter(staff_id=staff_id).values_list("department_id", flat=True)
    )


async def _settings_manager(make_staff) -> Staff:
    """A staff member who is not an admin but holds a role that may manage settings."""
    manager = await make_staff("Manager", level=Level.OWN)
    role = await Role.create(name="Settings", can_manage_settings=True)
    await StaffRole.create(staff=manager, role=role)
    return manager


# --- permission --------------------------------------------------------------------------


async def test_only_settings_capable_actors_manage_staff(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    employee = await Role.get(name="Employee")
    target = await make_staff("Target")
    sales = await Department.create(name="Sales")
    invite = await staff_uc.create_invite(CLI, employee.id)

    calls = {
        "add_staff": staff_uc.add_staff(plain, 555),
        "deactivate_staff": staff_uc.deactivate_staff(plain, target.id),
        "create_department": staff_uc.create_department(plain, "Support"),
        "move_department": staff_uc.move_department(plain, sales.id, None),
        "create_role": staff_uc.create_role(plain, "Boss", {"read": "all"}),
        "update_role": staff_uc.update_role(plain, employee.id, {"read": "all"}),
        "grant_role": staff_uc.grant_role(plain, target.id, employee.id),
        "revoke_role": staff_uc.revoke_role(plain, target.id, employee.id),
        "change_departments": staff_uc.change_departments(plain, target.id, join=[sales.id]),
        "create_invite": staff_uc.create_invite(plain, employee.id),
    }
    refused = []
    for name, call in calls.items():
        try:
            await call
        except PermissionDeniedError:
            refused.append(name)
    assert refused == list(calls)
    assert await Staff.filter(telegram_id=555).count() == 0
    assert (await Staff.get(id=target.id)).is_active
    assert await Role.filter(name="Boss").count() == 0
    assert await Invite.all().count() == 1
    assert (await Role.get(id=employee.id)).read_level == Level.DEPARTMENT
    assert invite.used_at is None


async def test_a_role_that_manages_settings_is_enough(db, make_staff):
    manager = await actor_of(await _settings_manager(make_staff))
    assert (manager.is_admin, manager.can_manage_settings) == (False, True)

    added = await staff_uc.add_staff(manager, 777, name="New")
    role = await staff_uc.create_role(manager, "Helper", {"read": "own"})
    assert (added.telegram_id, role.read_level) == (777, Level.OWN)


async def test_a_settings_manager_cannot_give_more_than_they_hold(db, make_staff):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    director = await Role.get(name="Director")

    attempts = [
        staff_uc.add_staff(manager, 778, admin=True),
        staff_uc.add_staff(manager, manager_staff.telegram_id, role_ids=[director.id]),
        staff_uc.grant_role(manager, manager_staff.id, director.id),
        staff_uc.create_role(manager, "Boss", {"read": "all"}),
        staff_uc.create_role(manager, "Co-admin", {}, can_manage_settings=True),
        staff_uc.update_role(manager, director.id, {"read": "all"}),
        staff_uc.create_invite(manager, director.id),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError):
            await attempt
    assert not await Staff.filter(telegram_id=778).exists()
    assert not await StaffRole.filter(staff_id=manager_staff.id, role_id=director.id).exists()


async def test_role_and_staff_changes_are_audited(db, make_staff):
    target = await make_staff("Target", level=None)
    employee = await Role.get(name="Employee")

    await staff_uc.grant_role(CLI, target.id, employee.id)
    await staff_uc.update_role(CLI, employee.id, {"read": "all"})
    await staff_uc.revoke_role(CLI, target.id, employee.id)
    await staff_uc.deactivate_staff(CLI, target.id)

    entries = (
        await HistoryEntry.filter(entity__in=["staff", "role"])
        .order_by("id")
        .values_list("entity", "kind", "field", "before", "after")
    )
    assert entries == [
        ("staff", "linked", "role", None, str(employee.id)),
        ("role", "changed", "read_level", "department", "all"),
        ("staff", "unlinked", "role", str(employee.id), None),
        ("staff", "changed", "active", "yes", "no"),
    ]


# --- adding, admins, deactivating ----------------------------------------------------------


async def test_add_staff_with_roles_and_departments(db):
    employee = await Role.get(name="Employee")
    sales = await Department.create(name="Sales")

    added = await staff_uc.add_staff(
        CLI,
        4242,
        name="  Marie   Curie ",
        language="fr-FR",
        role_ids=[employee.id],
        department_ids=[sales.id],
    )

    stored = await Staff.get(telegram_id=4242)
    assert (stored.id, stored.name, stored.language, stored.is_admin, stored.is_active) == (
        added.id,
        "Marie Curie",
        "fr",
        False,
        True,
    )
    assert await _roles_of(added.id) == ["Employee"]
    assert await _departments_of(added.id) == [sales.id]
    actor = await actor_for_telegram(4242)
    assert actor.level(Action.READ) == Level.DEPARTMENT


async def test_adding_again_reactivates_and_never_demotes(db):
    first = await staff_uc.add_staff(CLI, 4242, name="Marie", admin=True)
    await staff_uc.deactivate_staff(CLI, first.id)

    again = await staff_uc.add_staff(CLI, 4242)

    stored = await Staff.get(id=first.id)
    assert (again.id, stored.is_active, stored.is_admin, stored.name) == (
        first.id,
        True,
        True,
        "Marie",
    )
    assert await Staff.filter(telegram_id=4242).count() == 1


async def test_add_staff_refuses_bad_input_and_writes_nothing(db):
    employee = await Role.get(name="Employee")
    cases = [
        ((0,), {}, {"telegram_id": "must be a positive Telegram user id"}),
        ((-5,), {}, {"telegram_id": "must be a positive Telegram user id"}),
        (("123",), {}, {"telegram_id": "must be a positive Telegram user id"}),
        ((True,), {}, {"telegram_id": "must be a positive Telegram user id"}),
        ((2**63,), {}, {"telegram_id": "must be a positive Telegram user id"}),
        ((4242,), {"role_ids": [employee.id, 999999]}, {"role_ids": "role #999999 does not exist"}),
        (
            (4242,),
            {"department_ids": [999999]},
            {"department_ids": "department #999999 does not exist"},
        ),
        ((4242,), {"name": "x" * 201}, {"name": "is longer than 200 characters"}),
        ((4242,), {"name": "a\x00b"}, {"name": "contains a NUL character"}),
    ]
    for args, kwargs, errors in cases:
        with pytest.raises(ValidationError) as caught:
            await staff_uc.add_staff(CLI, *args, **kwargs)
        assert caught.value.errors == errors, (args, kwargs)
    assert await Staff.all().count() == 0
    assert await StaffRole.all().count() == 0


async def test_ensure_admins_is_idempotent_and_reactivates(db, make_staff):
    demoted = await make_staff("Was admin", admin=False, active=False)
    other = await make_staff("Other", admin=False)

    await staff_uc.ensure_admins([demoted.telegram_id, 9001, 9001])
    await staff_uc.ensure_admins([demoted.telegram_id, 9001])

    rows = await Staff.all().order_by("id").values_list("telegram_id", "is_admin", "is_active")
    assert rows == [
        (demoted.telegram_id, True, True),
        (other.telegram_id, False, True),
        (9001, True, True),
    ]
    assert (await actor_for_telegram(9001)).can_manage_settings


async def test_deactivate_staff(db, make_staff):
    admin = await make_staff("Admin", admin=True)
    target = await make_staff("Target")
    actor = await actor_of(admin)

    with pytest.raises(ValidationError) as caught:
        await staff_uc.deactivate_staff(actor, admin.id)
    assert caught.value.errors == {"staff_id": "you cannot deactivate yourself"}
    with pytest.raises(NotFoundError):
        await staff_uc.deactivate_staff(actor, 999999)

    await staff_uc.deactivate_staff(actor, target.id)

    assert [(s.name, s.is_active) for s in await Staff.all().order_by("id")] == [
        ("Admin", True),
        ("Target", False),
    ]
    with pytest.raises(PermissionDeniedError):
        await actor_for_staff(await Staff.get(id=target.id))
    assert [s.name for s in await staff_uc.list_staff(actor)] == ["Admin"]
    assert [s.name for s in await staff_uc.list_staff(actor, include_inactive=True)] == [
        "Admin",
        "Target",
    ]


# --- roles -------------------------------------------------------------------------------


async def test_create_role_with_level_names(db, make_staff):
    role = await staff_uc.create_role(
        CLI,
        "  Sales  rep ",
        {
            "read": "department",
            "add": "OWN",
            "edit": "own",
            "delete": 0,
            "export": "department_tree",
            "import": Level.OPEN,
        },
        can_manage_settings=False,
    )

    stored = await Role.get(id=role.id)
    assert (
        stored.name,
        stored.read_level,
        stored.add_level,
        stored.edit_level,
        stored.delete_level,
        stored.export_level,
        stored.import_level,
    ) == (
        "Sales rep",
        Level.DEPARTMENT,
        Level.OWN,
        Level.OWN,
        Level.NONE,
        Level.DEPARTMENT_TREE,
        Level.OPEN,
    )

    member = await make_staff("Rep", level=None)
    await staff_uc.grant_role(CLI, member.id, role.id)
    actor = await actor_of(member)
    assert {a: actor.level(a) for a in Action} == {
        Action.READ: Level.DEPARTMENT,
        Action.ADD: Level.OWN,
        Action.EDIT: Level.OWN,
        Action.DELETE: Level.NONE,
        Action.EXPORT: Level.DEPARTMENT_TREE,
        Action.IMPORT: Level.OPEN,
    }


async def test_create_role_refuses_bad_levels_and_names(db):
    names = "none, own, department, department_tree, open, all"
    cases = [
        (
            "Boss",
            {"read": "everything", "edit": None, "delete": 9, "reed": "all"},
            {
                "read": f"must be one of {names}",
                "edit": f"must be one of {names}",
                "delete": f"must be one of {names}",
                "reed": "is not an action",
            },
        ),
        ("", {"read": "all"}, {"name": "is required"}),
        ("x" * 101, {"read": "all"}, {"name": "is longer than 100 characters"}),
        ("Employee", {"read": "all"}, {"name": "another role has this name"}),
    ]
    before = await Role.all().count()
    for name, levels, errors in cases:
        with pytest.raises(ValidationError) as caught:
            await staff_uc.create_role(CLI, name, levels)
        assert caught.value.errors == errors, name
    assert await Role.all().count() == before


async def test_update_role_changes_only_the_given_levels(db):
    role = await staff_uc.create_role(CLI, "Rep", {"read": "own", "edit": "own"})

    updated = await staff_uc.update_role(CLI, role.id, {"read": "all"})
    unchanged = await staff_uc.update_role(CLI, role.id, {})

    assert (updated.read_level, updated.edit_level) == (Level.ALL, Level.OWN)
    assert (unchanged.read_level, unchanged.edit_level) == (Level.ALL, Level.OWN)
    with pytest.raises(NotFoundError):
        await staff_uc.update_role(CLI, 999999, {"read": "all"})
    with pytest.raises(NotFoundError):
        await staff_uc.update_role(CLI, 999999, {})
    with pytest.raises(ValidationError) as caught:
        await staff_uc.update_role(CLI, role.id, {"read": "boss"})
    assert list(caught.value.errors) == ["read"]
    assert (await Role.get(id=role.id)).read_level == Level.ALL


async def test_grant_and_revoke_roles(db, make_staff):
    member = await make_staff("Member", level=None)
    director = await Role.get(name="Director")
    employee = await Role.get(name="Employee")

    await staff_uc.grant_role(CLI, member.id, employee.id)
    await staff_uc.grant_role(CLI, member.id, director.id)
    await staff_uc.grant_role(CLI, member.id, director.id)
    assert await _roles_of(member.id) == ["Director", "Employee"]
    assert (await actor_of(member)).level(Action.READ) == Level.ALL  # the highest level wins

    await staff_uc.revoke_role(CLI, member.id, director.id)
    assert await _roles_of(member.id) == ["Employee"]
    assert (await actor_of(member)).level(Action.READ) == Level.DEPARTMENT

    with pytest.raises(NotFoundError):
        await staff_uc.grant_role(CLI, member.id, 999999)
    with pytest.raises(NotFoundError):
        await staff_uc.grant_role(CLI, 999999, director.id)


async def test_change_roles_sets_adds_and_removes_in_one_audited_step(db, make_staff):
    member = await make_staff("Member", level=None)
    director, employee, head = [
        await Role.get(name=n) for n in ("Director", "Employee", "Department head")
    ]

    held = await staff_uc.change_roles(CLI, member.id, grant=[employee.id, director.id])
    assert [role.name for role in held] == ["Director", "Employee"]
    held = await staff_uc.change_roles(CLI, member.id, grant=[head.id], revoke_others=True)
    assert [role.name for role in held] == ["Department head"]
    held = await staff_uc.change_roles(CLI, member.id, revoke=[head.id, director.id])
    assert held == []
    kinds = await HistoryEntry.filter(entity="staff", entity_id=member.id).values_list(
        "kind", flat=True
    )
    assert len(kinds) == 6  # two linked; one linked, two unlinked; one unlinked


async def test_change_roles_changes_nothing_when_one_role_is_refused(db, make_staff):
    """Each change used to be its own transaction: a refusal part-way left a partial set."""
    member = await make_staff("Member", level=None)
    employee = await Role.get(name="Employee")
    director = await Role.get(name="Director")
    await staff_uc.grant_role(CLI, member.id, director.id)

    with pytest.raises(NotFoundError):
        await staff_uc.change_roles(CLI, member.id, grant=[employee.id, 999999])
    manager = await actor_of(await _settings_manager(make_staff))
    with pytest.raises(PermissionDeniedError):  # Director is above the manager's own levels
        await staff_uc.change_roles(manager, member.id, grant=[employee.id], revoke_others=True)
    with pytest.raises(NotFoundError):
        await staff_uc.change_roles(CLI, 999999, grant=[employee.id])
    assert await _roles_of(member.id) == ["Director"]


async def test_a_member_is_found_by_telegram_id_by_settings_managers_only(db, make_staff):
    member = await make_staff("Member", level=None)
    await staff_uc.deactivate_staff(CLI, member.id)

    assert (await staff_uc.staff_by_telegram_id(CLI, member.telegram_id)).id == member.id
    with pytest.raises(NotFoundError, match="no staff member has Telegram id 424242"):
        await staff_uc.staff_by_telegram_id(CLI, 424242)
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    with pytest.raises(PermissionDeniedError):
        await staff_uc.staff_by_telegram_id(plain, member.telegram_id)


# --- departments -------------------------------------------------------------------------


async def test_departments_and_their_members(db, make_staff):
    head = await make_staff("Head")
    sales = await staff_uc.create_department(CLI, " Sales ", head_id=head.id)
    north = await staff_uc.create_department(CLI, "North", parent_id=sales.id)
    member = await make_staff("Member")

    await staff_uc.change_departments(
        CLI, member.id, join=[north.id, sales.id, north.id], leave_others=True
    )
    assert await _departments_of(member.id) == sorted([sales.id, north.id])
    await staff_uc.change_departments(CLI, member.id, join=[north.id], leave_others=True)
    assert await _departments_of(member.id) == [north.id]

    assert (sales.name, sales.head_id, north.parent_id) == ("Sales", head.id, sales.id)
    cases = [
        (("",), {}, {"name": "is required"}),
        (("x" * 201,), {}, {"name": "is longer than 200 characters"}),
        (("Sub",), {"parent_id": 999999}, {"parent_id": "does not exist"}),
        (("Sub",), {"head_id": 999999}, {"head_id": "does not exist"}),
    ]
    for args, kwargs, errors in cases:
        with pytest.raises(ValidationError) as caught:
            await staff_uc.create_department(CLI, *args, **kwargs)
        assert caught.value.errors == errors
    with pytest.raises(ValidationError) as caught:
        await staff_uc.change_departments(
            CLI, member.id, join=[north.id, 999999], leave_others=True
        )
    assert caught.value.errors == {"department_ids": "must be existing departments"}
    with pytest.raises(NotFoundError):
        await staff_uc.change_departments(CLI, 999999, join=[north.id], leave_others=True)
    assert await _departments_of(member.id) == [north.id]
    assert await Department.all().count() == 2


async def test_move_department_refuses_cycles(db):
    top = await staff_uc.create_department(CLI, "Top")
    mid = await staff_uc.create_department(CLI, "Mid", parent_id=top.id)
    low = await staff_uc.create_department(CLI, "Low", parent_id=mid.id)
    other = await staff_uc.create_department(CLI, "Other")

    for dept, parent in ((top.id, top.id), (top.id, mid.id), (top.id, low.id), (mid.id, low.id)):
        with pytest.raises(ValidationError) as caught:
            await staff_uc.move_department(CLI, dept, parent)
        assert caught.value.errors == {
            "parent_id": "would make a department its own sub-department"
        }
    with pytest.raises(ValidationError) as caught:
        await staff_uc.move_department(CLI, mid.id, 999999)
    assert caught.value.errors == {"parent_id": "does not exist"}
    with pytest.raises(NotFoundError):
        await staff_uc.move_department(CLI, 999999, None)

    await staff_uc.move_department(CLI, low.id, other.id)
    await staff_uc.move_department(CLI, top.id, None)
    await staff_uc.move_department(CLI, other.id, mid.id)

    parents = dict(await Department.all().values_list("name", "parent_id"))
    assert parents == {"Top": None, "Mid": top.id, "Low": other.id, "Other": mid.id}


async def test_two_crossing_moves_at_once_cannot_make_a_cycle(db):
    # Several rounds: on a fresh connection pool the two moves do not always overlap.
    for round_ in range(6):
        a = await staff_uc.create_department(CLI, f"A{round_}")
        b = await staff_uc.create_department(CLI, f"B{round_}")

        results = await asyncio.gather(
            staff_uc.move_department(CLI, a.id, b.id),
            staff_uc.move_department(CLI, b.id, a.id),
            return_exceptions=True,
        )

        assert sorted(type(r).__name__ for r in results) == ["NoneType", "ValidationError"]
        parents = dict(await Department.filter(id__in=[a.id, b.id]).values_list("id", "parent_id"))
        assert parents in ({a.id: b.id, b.id: None}, {a.id: None, b.id: a.id})


# --- invites -----------------------------------------------------------------------------


async def test_an_invite_makes_a_staff_member_with_its_role_and_department(db, make_staff):
    admin = await make_staff("Admin", admin=True)
    employee = await Role.get(name="Employee")
    sales = await Department.create(name="Sales")
    invite = await staff_uc.create_invite(await actor_of(admin), employee.id, sales.id)
    assert len(invite.token) == 32 and invite.token.isascii()
    assert invite.expires_at > utcnow() + timedelta(days=6, hours=23)

    joined = await staff_uc.accept_invite(invite.token, 31337, name=" Jean  Dupont ", language="fr")

    assert joined.created
    member = await Staff.get(telegram_id=31337)
    assert (member.id, member.name, member.language, member.is_active, member.is_admin) == (
        joined.staff.id,
        "Jean Dupont",
        "fr",
        True,
        False,
    )
    assert await _roles_of(member.id) == ["Employee"]
    assert await _departments_of(member.id) == [sales.id]
    used = await Invite.get(id=invite.id)
    assert (used.used_by_id, used.created_by_id, used.used_at is not None) == (
        member.id,
        admin.id,
        True,
    )
    actor = await actor_for_telegram(31337)
    assert (actor.level(Action.READ), actor.department_ids) == (
        Level.DEPARTMENT,
        frozenset({sales.id}),
    )


async def test_an_invite_is_single_use(db):
    employee = await Role.get(name="Employee")
    invite = await staff_uc.create_invite(CLI, employee.id)
    await staff_uc.accept_invite(invite.token, 1001)

    for telegram_id in (1001, 1002):
        with pytest.raises(ConflictError):
            await staff_uc.accept_invite(invite.token, telegram_id)
    assert await Staff.filter(telegram_id=1002).count() == 0


@pytest.mark.parametrize("same_person", [False, True])
async def test_two_concurrent_accepts_exactly_one_wins(db, same_person):
    employee = await Role.get(name="Employee")
    invite = await staff_uc.create_invite(CLI, employee.id)

    results = await asyncio.gather(
        staff_uc.accept_invite(invite.token, 2001),
        staff_uc.accept_invite(invite.token, 2001 if same_person else 2002),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, staff_uc.Joined)]
    losers = [r for r in results if not isinstance(r, staff_uc.Joined)]
    assert len(winners) == 1 and [type(r) for r in losers] == [ConflictError], results
    assert await Staff.all().values_list("telegram_id", flat=True) == [winners[0].staff.telegram_id]
    assert await StaffRole.all().count() == 1
    assert (await Invite.get(id=invite.id)).used_by_id == winners[0].staff.id


async def test_one_person_pressing_two_invites_at_once_gets_both(db):
    employee = await Role.get(name="Employee")
    director = await Role.get(name="Director")
    first = await staff_uc.create_invite(CLI, employee.id)
    second = await staff_uc.create_invite(CLI, director.id)

    results = await asyncio.gather(
        staff_uc.accept_invite(first.token, 2001),
        staff_uc.accept_invite(second.token, 2001),
        return_exceptions=True,
    )

    assert all(isinstance(r, staff_uc.Joined) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    [member] = await Staff.all()
    assert await _roles_of(member.id) == ["Director", "Employee"]
    assert await Invite.filter(used_by_id=member.id).count() == 2


async def test_an_expired_invite_is_refused(db):
    employee = await Role.get(name="Employee")
    invite = await staff_uc.create_invite(CLI, employee.id, ttl=timedelta(minutes=5))
    await Invite.filter(id=invite.id).update(expires_at=utcnow() - timedelta(seconds=1))

    with pytest.raises(ConflictError) as caught:
        await staff_uc.accept_invite(invite.token, 3001)
    assert "expired" in str(caught.value)
    assert await Staff.all().count() == 0
    assert (await Invite.get(id=invite.id)).used_at is None


async def test_unknown_invite_tokens_are_not_found(db):
    employee = await Role.get(name="Employee")
    await staff_uc.create_invite(CLI, employee.id)
    for token in ("", "nope", "x" * 1000, "a\x00b", "' OR 1=1 --", "😀"):
        with pytest.raises(NotFoundError):
            await staff_uc.accept_invite(token, 4001)
    assert await Staff.all().count() == 0


async def test_an_invite_reactivates_a_former_staff_member(db, make_staff):
    former = await make_staff("Former", level=None, active=False)
    employee = await Role.get(name="Employee")
    invite = await staff_uc.create_invite(CLI, employee.id)

    joined = await staff_uc.accept_invite(invite.token, former.telegram_id, name="New name")

    stored = await Staff.get(id=former.id)
    assert (joined.created, joined.staff.id, stored.is_active, stored.name) == (
        False,
        former.id,
        True,
        "Former",
    )
    assert await _roles_of(former.id) == ["Employee"]


async def test_create_invite_validates_its_input(db):
    employee = await Role.get(name="Employee")
    cases = [
        ((999999,), {}, {"role_id": "does not exist"}),
        ((employee.id, 999999), {}, {"department_id": "does not exist"}),
        (
            (employee.id,),
            {"ttl": timedelta(minutes=4)},
            {"ttl": "must be between 5 minutes and 90 days"},
        ),
        (
            (employee.id,),
            {"ttl": timedelta(days=91)},
            {"ttl": "must be between 5 minutes and 90 days"},
        ),
    ]
    for args, kwargs, errors in cases:
        with pytest.raises(ValidationError) as caught:
            await staff_uc.create_invite(CLI, *args, **kwargs)
        assert caught.value.errors == errors
    assert await Invite.all().count() == 0
    first = await staff_uc.create_invite(CLI, employee.id)
    second = await staff_uc.create_invite(CLI, employee.id)
    assert first.token != second.token and first.created_by_id is None


# --- profile -----------------------------------------------------------------------------


async def test_update_profile(db, make_staff):
    member = await make_staff("Member")
    actor = await actor_of(member)

    updated = await staff_uc.update_profile(
        actor, language="fr", timezone="Europe/Paris", agenda_hour=8
    )
    assert (updated.language, updated.timezone, updated.agenda_hour) == ("fr", "Europe/Paris", 8)
    for kwargs, errors in (
        ({"language": "de"}, {"language": "must be one of en, fr"}),
        ({"timezone": "Mars/Base"}, {"timezone": "is not a known time zone such as Europe/Paris"}),
        (
            {"timezone": "../../etc/passwd"},
            {"timezone": "is not a known time zone such as Europe/Paris"},
        ),
        ({"agenda_hour": 24}, {"agenda_hour": "must be between 0 and 23"}),
    ):
        with pytest.raises(ValidationError) as caught:
            await staff_uc.update_profile(actor, **kwargs)
        assert caught.value.errors == errors
    with pytest.raises(ValidationError):
        await staff_uc.update_profile(CLI, language="fr")
    stored = await Staff.get(id=member.id)
    assert (stored.language, stored.timezone, stored.agenda_hour) == ("fr", "Europe/Paris", 8)


# --- no one widens their own reach (issue 11, leaks 1 and 6) ------------------------------


async def test_a_settings_manager_cannot_join_a_department_through_their_own_invite(db, make_staff):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    helper = await Role.create(name="Helper")  # no level above the manager's own
    sales = await Department.create(name="Sales")
    invite = await staff_uc.create_invite(manager, helper.id, sales.id)

    with pytest.raises(PermissionDeniedError):
        await staff_uc.accept_invite(invite.token, manager_staff.telegram_id)

    assert await _departments_of(manager_staff.id) == []
    assert (await actor_of(manager_staff)).department_ids == frozenset()
    # Refused whole: the link still works for the colleague it was meant for.
    assert (await Invite.get(id=invite.id)).used_at is None
    colleague = await make_staff("Colleague", level=None)
    await staff_uc.accept_invite(invite.token, colleague.telegram_id)
    assert await _departments_of(colleague.id) == [sales.id]


async def test_only_an_administrators_invite_puts_an_administrator_in_a_department(db, make_staff):
    manager = await actor_of(await _settings_manager(make_staff))
    boss = await make_staff("Boss", admin=True)
    helper = await Role.create(name="Helper")
    sales = await Department.create(name="Sales")

    from_manager = await staff_uc.create_invite(manager, helper.id, sales.id)
    with pytest.raises(PermissionDeniedError):
        await staff_uc.accept_invite(from_manager.token, boss.telegram_id)
    assert await _departments_of(boss.id) == []

    from_boss = await staff_uc.create_invite(await actor_of(boss), helper.id, sales.id)
    await staff_uc.accept_invite(from_boss.token, boss.telegram_id)
    assert await _departments_of(boss.id) == [sales.id]


async def test_a_deactivated_settings_manager_cannot_come_back_through_their_own_invite(
    db, make_staff
):
    manager_staff = await _settings_manager(make_staff)
    helper = await Role.create(name="Helper")
    invite = await staff_uc.create_invite(await actor_of(manager_staff), helper.id)
    await staff_uc.deactivate_staff(CLI, manager_staff.id)

    with pytest.raises(PermissionDeniedError):
        await staff_uc.accept_invite(invite.token, manager_staff.telegram_id)

    assert not (await Staff.get(id=manager_staff.id)).is_active


async def test_a_settings_manager_sets_departments_of_others_only(db, make_staff):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    boss = await make_staff("Boss", admin=True)
    colleague = await make_staff("Colleague")
    sales = await Department.create(name="Sales")

    for member in (manager_staff, boss):
        with pytest.raises(PermissionDeniedError):
            await staff_uc.change_departments(
                manager, member.id, join=[sales.id], leave_others=True
            )
        with pytest.raises(PermissionDeniedError):
            await staff_uc.add_staff(manager, member.telegram_id, department_ids=[sales.id])
        assert await _departments_of(member.id) == []

    await staff_uc.change_departments(manager, colleague.id, join=[sales.id], leave_others=True)
    assert await _departments_of(colleague.id) == [sales.id]
    admin = await actor_of(boss)
    await staff_uc.change_departments(admin, boss.id, join=[sales.id], leave_others=True)
    await staff_uc.change_departments(admin, manager_staff.id, join=[sales.id], leave_others=True)
    assert await _departments_of(boss.id) == await _departments_of(manager_staff.id) == [sales.id]


async def test_a_settings_manager_cannot_head_a_department_or_move_one_under_their_own(
    db, make_staff
):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    boss = await make_staff("Boss", admin=True)
    colleague = await make_staff("Colleague")
    sales = await Department.create(name="Sales")
    seller = await make_staff("Seller", departments=[sales.id])

    for head in (manager_staff, boss):
        with pytest.raises(PermissionDeniedError):
            await staff_uc.create_department(manager, "Mine", head_id=head.id)
    assert await Department.all().count() == 1

    # Heading one department and member of another, they move neither Sales under them.
    headed = await staff_uc.create_department(CLI, "Headed", head_id=manager_staff.id)
    team = await Department.create(name="Team")
    await StaffDepartment.create(staff=manager_staff, department=team)
    for parent in (headed, team):
        with pytest.raises(PermissionDeniedError):
            await staff_uc.move_department(manager, sales.id, parent.id)
    assert (await Department.get(id=sales.id)).parent_id is None
    assert seller.id not in (await actor_of(manager_staff)).reach.tree_staff

    # What does not widen their own reach stays theirs to do.
    other = await staff_uc.create_department(manager, "Other", head_id=colleague.id)
    await staff_uc.move_department(manager, sales.id, other.id)
    sub = await staff_uc.create_department(manager, "Sub", parent_id=headed.id)
    await staff_uc.move_department(manager, sub.id, team.id)  # within their reach already
    await staff_uc.move_department(manager, sub.id, None)
    parents = dict(await Department.all().values_list("name", "parent_id"))
    assert (parents["Sales"], parents["Sub"]) == (other.id, None)
    # An administrator may.
    await staff_uc.move_department(await actor_of(boss), sales.id, headed.id)
    await staff_uc.create_department(await actor_of(boss), "Boss's", head_id=boss.id)


async def test_add_staff_does_not_let_a_settings_manager_bring_back_an_administrator(
    db, make_staff
):
    manager = await actor_of(await _settings_manager(make_staff))
    boss = await make_staff("Boss", admin=True, active=False)
    former = await make_staff("Former", level=None, active=False)

    with pytest.raises(PermissionDeniedError):
        await staff_uc.add_staff(manager, boss.telegram_id)
    assert not (await Staff.get(id=boss.id)).is_active

    await staff_uc.add_staff(manager, former.telegram_id)
    assert (await Staff.get(id=former.id)).is_active


# --- the settings screens: the roster, toggles, the settings right, invites -----------------


async def test_the_roster_and_its_toggles_need_the_settings_right(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    target = await make_staff("Target", active=False)
    sales = await Department.create(name="Sales")
    employee = await Role.get(name="Employee")
    calls = [
        staff_uc.staff_members(plain),
        staff_uc.staff_member(plain, target.id),
        staff_uc.reactivate_staff(plain, target.id),
        staff_uc.change_departments(plain, target.id, join=[sales.id]),
        staff_uc.list_departments(plain),
        staff_uc.list_roles(plain),
        staff_uc.get_role(plain, employee.id),
        staff_uc.update_role(plain, employee.id, can_manage_settings=True),
        staff_uc.create_invite(plain, employee.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            await call
    assert not (await Staff.get(id=target.id)).is_active
    assert not (await Role.get(id=employee.id)).can_manage_settings
    assert not await StaffDepartment.exists(staff_id=target.id)


async def test_staff_are_listed_active_first(db, make_staff):
    await make_staff("Zoe")
    await make_staff("Adam", active=False)
    await make_staff("Bea")
    names = [m.name for m in await staff_uc.staff_members(CLI)]
    assert names == ["Bea", "Zoe", "Adam"]


async def test_a_member_joins_and_leaves_a_department_once(db, make_staff):
    bob = await make_staff("Bob")
    sales = await Department.create(name="Sales")
    for _ in range(2):
        await staff_uc.change_departments(CLI, bob.id, join=[sales.id])
    assert [d.name for d in (await staff_uc.staff_member(CLI, bob.id)).departments] == ["Sales"]
    for _ in range(2):
        await staff_uc.change_departments(CLI, bob.id, leave=[sales.id])
    assert not await StaffDepartment.exists(staff_id=bob.id)
    entries = await HistoryEntry.filter(entity="staff", entity_id=bob.id).values_list(
        "kind", "field", "before", "after"
    )
    assert entries == [
        ("linked", "department", None, str(sales.id)),
        ("unlinked", "department", str(sales.id), None),
    ]
    # One use case, one answer for an unknown department (it was NotFoundError by id).
    with pytest.raises(ValidationError):
        await staff_uc.change_departments(CLI, bob.id, join=[999])


async def test_a_deactivated_member_is_reactivated_once(db, make_staff):
    bob = await make_staff("Bob", active=False)
    await staff_uc.reactivate_staff(CLI, bob.id)
    await staff_uc.reactivate_staff(CLI, bob.id)
    assert (await Staff.get(id=bob.id)).is_active
    entries = await HistoryEntry.filter(entity="staff", entity_id=bob.id).values_list(
        "field", "before", "after"
    )
    assert entries == [("active", "no", "yes")]


async def test_only_administrators_reactivate_an_administrator(db, make_staff):
    manager = await actor_of(await _settings_manager(make_staff))
    boss = await make_staff("Boss", admin=True, active=False)
    with pytest.raises(PermissionDeniedError):
        await staff_uc.reactivate_staff(manager, boss.id)
    assert not (await Staff.get(id=boss.id)).is_active


async def test_only_administrators_give_a_role_the_settings_right(db, make_staff):
    manager = await actor_of(await _settings_manager(make_staff))
    employee = await Role.get(name="Employee")
    with pytest.raises(PermissionDeniedError):
        await staff_uc.update_role(manager, employee.id, can_manage_settings=True)

    role = await staff_uc.update_role(CLI, employee.id, can_manage_settings=True)
    assert role.can_manage_settings
    await staff_uc.update_role(manager, employee.id, can_manage_settings=False)
    assert not (await Role.get(id=employee.id)).can_manage_settings
    entries = await HistoryEntry.filter(entity="role", entity_id=employee.id).values_list(
        "field", "before", "after"
    )
    assert entries == [("can_manage_settings", "no", "yes"), ("can_manage_settings", "yes", "no")]
    with pytest.raises(NotFoundError):
        await staff_uc.update_role(CLI, 999, can_manage_settings=False)


async def test_an_invite_comes_with_its_role_and_department(db):
    employee = await Role.get(name="Employee")
    sales = await Department.create(name="Sales")
    invite = await staff_uc.create_invite(CLI, employee.id, sales.id)
    assert (invite.role.name, invite.department.name) == ("Employee", "Sales")
    assert len(invite.token) >= 16
    plain = await staff_uc.create_invite(CLI, employee.id)
    assert plain.department is None
    with pytest.raises(ValidationError):
        await staff_uc.create_invite(CLI, 999)


async def test_only_administrators_change_an_administrators_or_their_own_departments_one_by_one(
    db, make_staff
):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    boss = await make_staff("Boss", admin=True)
    bob = await make_staff("Bob")
    sales = await Department.create(name="Sales")

    for member in (manager_staff, boss):
        with pytest.raises(PermissionDeniedError):
            await staff_uc.change_departments(manager, member.id, join=[sales.id])
    assert not await StaffDepartment.exists(staff_id__in=[manager_staff.id, boss.id])

    await staff_uc.change_departments(manager, bob.id, join=[sales.id])
    admin = await actor_of(boss)
    await staff_uc.change_departments(admin, boss.id, join=[sales.id])
    await staff_uc.change_departments(admin, manager_staff.id, join=[sales.id])
    assert await StaffDepartment.filter(department_id=sales.id).count() == 3
