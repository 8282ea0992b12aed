"""Access rights end to end (F9): every level and action, through `can`, the use cases and search.

The company: "Sales" with a sub-department "Sales Paris", and "Support" (headed by someone who
is not a member of it). Every viewer holds one role with the level under test for every action;
the admin holds a role of NONE and the admin flag.
"""

from dataclasses import dataclass

import pytest

from crm import contacts, search
from crm.actors import Actor, actor_for_staff, actor_for_telegram, system_actor
from crm.errors import NotFoundError, PermissionDeniedError
from crm.permissions import can, record_facts, require, require_any, scope_q
from crm.rules.permissions import RecordFacts
from models import Contact, Department, Role, Staff, StaffRole
from models.enums import Action, Level

CLI = system_actor("cli")
L = Level

VIEWERS = ("owner", "colleague", "paris_member", "outsider", "support_head", "admin")
RECORDS = ("owner", "paris", "support", "opened", "unassigned", "observed")

OWN, DEP, TREE, OPEN, ALL = L.OWN, L.DEPARTMENT, L.DEPARTMENT_TREE, L.OPEN, L.ALL
# The lowest level at which each viewer reaches each record (one column per record, described
# in `build_world`). Row by row: the owner's colleague reaches the owner's contact at DEPARTMENT;
# the Paris member does not reach it (a parent department's) below ALL.
NEEDED: dict[str, tuple[Level, ...]] = {
    #               owner paris support opened unassigned observed
    "owner":        (OWN, TREE, ALL,    OPEN,  ALL,       ALL),
    "colleague":    (DEP, TREE, ALL,    OPEN,  ALL,       ALL),
    "paris_member": (ALL, OWN,  ALL,    OPEN,  ALL,       ALL),
    "outsider":     (ALL, ALL,  OWN,    OWN,   ALL,       OWN),
    "support_head": (ALL, ALL,  DEP,    DEP,   ALL,       DEP),
}  # fmt: skip
# Observers of a contact read it from OWN up (never at NONE); observing gives no other right.
OBSERVERS = {"colleague", "paris_member"}


def allowed(viewer: str, record: str, action: Action, level: Level) -> bool:
    if viewer == "admin":
        return True
    if level == Level.NONE:
        return False
    needed = NEEDED[viewer][RECORDS.index(record)]
    if action == Action.READ and record == "observed" and viewer in OBSERVERS:
        needed = Level.OWN
    return level >= needed


@dataclass
class World:
    staff: dict[str, Staff]
    contact_ids: dict[str, int]
    role_ids: list[int]

    async def actors_at(self, level: Level) -> dict[str, Actor]:
        """Give every viewer but the admin the level for every action; their fresh actors."""
        await Role.filter(id__in=self.role_ids).update(
            **{f"{action.value}_level": level for action in Action}
        )
        return {name: await actor_for_staff(member) for name, member in self.staff.items()}


async def build_world(make_staff) -> World:
    """The departments, the viewers, and one contact of each kind (see RECORDS)."""
    sales = await Department.create(name="Sales")
    paris = await Department.create(name="Sales Paris", parent=sales)
    support = await Department.create(name="Support")
    staff = {
        "owner": await make_staff("Owner", level=Level.NONE, departments=[sales.id]),
        "colleague": await make_staff("Colleague", level=Level.NONE, departments=[sales.id]),
        "paris_member": await make_staff("Paris", level=Level.NONE, departments=[paris.id]),
        "outsider": await make_staff("Outsider", level=Level.NONE, departments=[support.id]),
        "support_head": await make_staff("Head", level=Level.NONE),
        "admin": await make_staff("Admin", level=Level.NONE, admin=True),
    }
    await Department.filter(id=support.id).update(head_id=staff["support_head"].id)
    responsible = {
        "owner": staff["owner"].id,
        "paris": staff["paris_member"].id,
        "support": staff["outsider"].id,
        "opened": staff["outsider"].id,
        "unassigned": None,
        "observed": staff["outsider"].id,
    }
    contact_ids = {}
    for record in RECORDS:
        data = {
            "first_name": record.capitalize(),
            "last_name": "Matrix",
            "responsible_id": responsible[record],
            "opened": record == "opened",
        }
        if record == "observed":
            data["observers"] = [staff[name].id for name in sorted(OBSERVERS)]
        card = await contacts.create_contact(CLI, data)
        assert card.contact.responsible_id == responsible[record]
        contact_ids[record] = card.id
    role_ids = await StaffRole.filter(
        staff_id__in=[member.id for name, member in staff.items() if name != "admin"]
    ).values_list("role_id", flat=True)
    return World(staff, contact_ids, list(role_ids))


def expected_for(actions: tuple[Action, ...]) -> dict[tuple[str, str, str, str], bool]:
    return {
        (level.name, viewer, record, action.value): allowed(viewer, record, action, level)
        for level in Level
        for viewer in VIEWERS
        for record in RECORDS
        for action in actions
    }


async def test_can_follows_the_level_for_every_action(make_staff):
    world = await build_world(make_staff)
    facts = {
        record: await record_facts(await Contact.get(id=contact_id))
        for record, contact_id in world.contact_ids.items()
    }
    assert facts["owner"] == RecordFacts(responsible_id=world.staff["owner"].id)
    assert facts["observed"].observer_ids == frozenset(world.staff[name].id for name in OBSERVERS)
    outcomes = {}
    for level in Level:
        actors = await world.actors_at(level)
        for viewer, actor in actors.items():
            for record in RECORDS:
                for action in Action:
                    outcomes[level.name, viewer, record, action.value] = can(
                        actor, action, facts[record]
                    )
    assert outcomes == expected_for(tuple(Action))


async def test_every_level_and_action_on_the_owners_contact(make_staff):
    world = await build_world(make_staff)
    facts = await record_facts(await Contact.get(id=world.contact_ids["owner"]))
    for level in Level:
        actors = await world.actors_at(level)
        table = {
            viewer: {action.value: can(actors[viewer], action, facts) for action in Action}
            for viewer in VIEWERS
        }
        owner_reach = {
            "owner": level >= L.OWN,
            "colleague": level >= L.DEPARTMENT,
            "paris_member": level == L.ALL,
            "outsider": level == L.ALL,
            "support_head": level == L.ALL,
            "admin": True,
        }
        assert table == {
            viewer: {action.value: owner_reach[viewer] for action in Action} for viewer in VIEWERS
        }, level.name


async def test_use_cases_refuse_exactly_what_the_level_does_not_allow(make_staff):
    world = await build_world(make_staff)
    outcomes: dict[tuple[str, str, str, str], bool] = {}
    for level in Level:
        actors = await world.actors_at(level)
        for viewer, actor in actors.items():
            for record, contact_id in world.contact_ids.items():
                key = (level.name, viewer, record)
                outcomes[(*key, "read")] = await _try_read(actor, contact_id)
                outcomes[(*key, "edit")] = await _try_edit(actor, contact_id, viewer)
                outcomes[(*key, "delete")] = await _try_delete(actor, contact_id)
    assert outcomes == expected_for((Action.READ, Action.EDIT, Action.DELETE))


async def _version(contact_id: int) -> int:
    return await Contact.filter(id=contact_id).first().values_list("version", flat=True)


async def _try_read(actor: Actor, contact_id: int) -> bool:
    try:
        card = await contacts.get_contact(actor, contact_id)
    except NotFoundError as exc:  # a contact one may not read answers as a missing one
        assert str(exc) == f"contact #{contact_id} does not exist"
        return False
    assert card.id == contact_id
    return True


async def _try_edit(actor: Actor, contact_id: int, viewer: str) -> bool:
    version = await _version(contact_id)
    comment = f"{viewer} was here at version {version}"
    try:
        card = await contacts.update_contact(
            actor, contact_id, {"comment": comment}, expected_version=version
        )
    except (NotFoundError, PermissionDeniedError) as exc:
        assert str(exc) in (
            f"contact #{contact_id} does not exist",
            "you may not edit this contact",
        )
        assert await _version(contact_id) == version
        return False
    assert (card.contact.comment, card.version) == (comment, version + 1)
    return True


async def _try_delete(actor: Actor, contact_id: int) -> bool:
    try:
        await contacts.delete_contact(actor, contact_id)
    except (NotFoundError, PermissionDeniedError) as exc:
        assert str(exc) in (
            f"contact #{contact_id} does not exist",
            "you may not delete this contact",
        )
        assert await Contact.exists(id=contact_id, deleted_at=None)
        return False
    assert not await Contact.exists(id=contact_id, deleted_at=None)
    # Put it back for the next viewer (restoring has its own tests).
    await Contact.filter(id=contact_id).update(deleted_at=None)
    return True


async def test_adding_a_contact_for_someone_needs_the_add_level_for_them(make_staff):
    world = await build_world(make_staff)
    targets = {"owner": "owner", "paris": "paris_member", "support": "outsider"}
    outcomes = {}
    for level in Level:
        actors = await world.actors_at(level)
        for viewer, actor in actors.items():
            for record, responsible in targets.items():
                data = {
                    "first_name": f"{viewer} {record}",
                    "last_name": f"Added {level.name}",
                    "responsible_id": world.staff[responsible].id,
                }
                try:
                    card = await contacts.create_contact(actor, data)
                except PermissionDeniedError as exc:
                    assert str(exc) == "you may not add a contact for this responsible"
                    outcomes[level.name, viewer, record] = False
                else:
                    assert card.contact.responsible_id == world.staff[responsible].id
                    outcomes[level.name, viewer, record] = True
    assert outcomes == {
        (level.name, viewer, record): allowed(viewer, record, Action.ADD, level)
        for level in Level
        for viewer in VIEWERS
        for record in targets
    }


async def test_search_and_the_recycle_bin_return_only_what_the_level_reaches(make_staff):
    world = await build_world(make_staff)
    by_id = {cid: record for record, cid in world.contact_ids.items()}
    found: dict[tuple[str, str, str], set[str]] = {}
    expected: dict[tuple[str, str, str], set[str]] = {}
    for level in Level:
        actors = await world.actors_at(level)
        for viewer, actor in actors.items():
            readable = {r for r in RECORDS if allowed(viewer, r, Action.READ, level)}
            # "" goes through the ORM filter (scope_q); text through raw SQL (scope_sql).
            for query in ("", "matrix", "opened"):
                page = await search.search_contacts(actor, query, limit=100)
                found[level.name, viewer, query] = {by_id[row.id] for row in page.items}
                expected[level.name, viewer, query] = (
                    readable & {"opened"} if query == "opened" else readable
                )
    assert found == expected
    # Opened contacts appear from the OPEN level even to someone in no related department.
    assert "opened" not in found["DEPARTMENT_TREE", "paris_member", ""]
    assert "opened" in found["OPEN", "paris_member", ""]

    for contact_id in world.contact_ids.values():
        await contacts.delete_contact(CLI, contact_id)
    binned: dict[tuple[str, str], set[str]] = {}
    for level in Level:
        actors = await world.actors_at(level)
        for viewer, actor in actors.items():
            binned[level.name, viewer] = {by_id[c.id] for c in await contacts.recycle_bin(actor)}
    # Observing gives no delete right: below ALL the observed contact is only in its owner's bin.
    assert binned == {
        (level.name, viewer): {r for r in RECORDS if allowed(viewer, r, Action.DELETE, level)}
        for level in Level
        for viewer in VIEWERS
    }


async def test_scope_q_of_each_action_follows_that_actions_level(make_staff):
    sales = await Department.create(name="Sales")
    owner = await make_staff("Owner", level=Level.NONE, departments=[sales.id])
    viewer = await make_staff(
        "Viewer",
        level=Level.NONE,
        levels={"read": Level.ALL, "edit": Level.DEPARTMENT, "export": Level.OWN},
        departments=[sales.id],
    )
    mine = await contacts.create_contact(
        CLI, {"first_name": "Mine", "last_name": "Scope", "responsible_id": viewer.id}
    )
    theirs = await contacts.create_contact(
        CLI, {"first_name": "Theirs", "last_name": "Scope", "responsible_id": owner.id}
    )
    nobodys = await contacts.create_contact(CLI, {"first_name": "Nobody", "last_name": "Scope"})
    actor = await actor_for_staff(viewer)

    async def ids(action: Action) -> set[int]:
        return set(await Contact.filter(scope_q(actor, action)).values_list("id", flat=True))

    assert await ids(Action.READ) == {mine.id, theirs.id, nobodys.id}
    assert await ids(Action.EDIT) == {mine.id, theirs.id}
    assert await ids(Action.EXPORT) == {mine.id}
    assert await ids(Action.DELETE) == set()
    assert await ids(Action.IMPORT) == set()


async def test_an_inactive_staff_member_gets_no_actor(make_staff):
    gone = await make_staff("Gone", level=Level.ALL, admin=True, active=False)
    with pytest.raises(PermissionDeniedError) as err:
        await actor_for_staff(gone)
    assert str(err.value) == "this staff member is deactivated"
    with pytest.raises(PermissionDeniedError):
        await actor_for_telegram(gone.telegram_id)


async def test_someone_who_is_not_staff_gets_no_actor(db):
    with pytest.raises(PermissionDeniedError) as err:
        await actor_for_telegram(987654321)
    assert str(err.value) == "you are not a staff member"


async def test_an_inactive_members_contacts_stay_reachable_by_their_department(make_staff):
    sales = await Department.create(name="Sales")
    gone = await make_staff("Gone", level=Level.ALL, departments=[sales.id])
    mate = await make_staff("Mate", level=Level.DEPARTMENT, departments=[sales.id])
    card = await contacts.create_contact(
        CLI, {"first_name": "Left", "last_name": "Behind", "responsible_id": gone.id}
    )
    await Staff.filter(id=gone.id).update(is_active=False)
    assert (await contacts.get_contact(await actor_for_staff(mate), card.id)).id == card.id


async def test_several_roles_combine_to_the_highest_level_per_action(make_staff):
    member = await make_staff(
        "Two roles", level=Level.NONE, levels={"read": Level.OWN, "edit": Level.ALL}
    )
    second = await Role.create(
        name="second", read_level=Level.DEPARTMENT, delete_level=Level.OPEN, edit_level=Level.OWN
    )
    await StaffRole.create(staff=member, role=second)
    actor = await actor_for_staff(member)
    assert actor.levels == {
        Action.READ: Level.DEPARTMENT,
        Action.ADD: Level.NONE,
        Action.EDIT: Level.ALL,
        Action.DELETE: Level.OPEN,
        Action.EXPORT: Level.NONE,
        Action.IMPORT: Level.NONE,
    }


async def test_per_action_levels_are_enforced_per_action(make_staff):
    sales = await Department.create(name="Sales")
    owner = await make_staff("Owner", departments=[sales.id])
    reader = await make_staff(
        "Reader", level=Level.NONE, levels={"read": Level.DEPARTMENT}, departments=[sales.id]
    )
    card = await contacts.create_contact(
        CLI, {"first_name": "Read", "last_name": "Only", "responsible_id": owner.id}
    )
    actor = await actor_for_staff(reader)
    assert (await contacts.get_contact(actor, card.id)).id == card.id
    with pytest.raises(PermissionDeniedError):
        await contacts.update_contact(
            actor, card.id, {"comment": "x"}, expected_version=card.version
        )
    with pytest.raises(PermissionDeniedError):
        await contacts.delete_contact(actor, card.id)
    with pytest.raises(PermissionDeniedError) as err:
        require_any(actor, Action.IMPORT)
    assert str(err.value) == "you may not import contacts"
    require_any(actor, Action.READ)


async def test_a_department_head_reaches_sub_departments_of_the_department_they_head(make_staff):
    sales = await Department.create(name="Sales")
    paris = await Department.create(name="Sales Paris", parent=sales)
    head = await make_staff("Head", level=Level.DEPARTMENT_TREE)
    await Department.filter(id=sales.id).update(head_id=head.id)
    seller = await make_staff("Seller", level=Level.OWN, departments=[paris.id])
    card = await contacts.create_contact(
        CLI, {"first_name": "Deep", "last_name": "Down", "responsible_id": seller.id}
    )
    actor = await actor_for_staff(head)
    assert actor.department_ids == frozenset({sales.id})
    assert actor.reach.tree_staff == frozenset({seller.id})
    assert (await contacts.get_contact(actor, card.id)).id == card.id


async def test_the_system_actor_may_do_everything(db):
    unassigned = RecordFacts(responsible_id=None)
    for action in Action:
        assert can(CLI, action, unassigned)
        require(CLI, action, unassigned)
    assert CLI.is_system
