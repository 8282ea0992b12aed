"""The settings screens' use cases (crm.administration) and their pure rules."""

import pytest

from crm import administration as adm
from crm.actors import system_actor
from crm.contacts import create_contact
from crm.errors import NotFoundError, PermissionDeniedError, ValidationError
from models import (
    CardPlacement,
    CardSection,
    Contact,
    ContactType,
    CustomField,
    Department,
    HistoryEntry,
    Role,
    Staff,
    StaffDepartment,
    StaffRole,
)
from models.enums import FieldType, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _settings_manager(make_staff) -> Staff:
    """A staff member who is no admin but holds a role with the settings right."""
    manager = await make_staff("Manager", level=Level.OWN)
    link = await StaffRole.get(staff_id=manager.id)
    await Role.filter(id=link.role_id).update(can_manage_settings=True)
    return manager


# --- pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Customer level", "customer_level"),
        ("Date d'entrée", "date_d_entree"),
        ("  Réseaux & co  ", "reseaux_co"),
        ("2nd phone", "field_2nd_phone"),
        ("Ёлка", "field"),
        ("x" * 80, "x" * 40),
    ],
)
def test_a_code_is_derived_from_a_name(text, code):
    assert adm.slug(text, "field") == code
    assert adm.slug(text, "field").isidentifier()


def test_a_taken_code_gets_a_number():
    assert adm.unique_code("size", set()) == "size"
    assert adm.unique_code("size", {"size"}) == "size_2"
    assert adm.unique_code("size", {"size", "size_2"}) == "size_3"
    assert len(adm.unique_code("x" * 40, {"x" * 40})) <= 40


def test_list_options_are_read_one_per_line():
    assert adm.parse_options(" Gold \n\nSilver  plated\nBronze\n") == [
        "Gold",
        "Silver plated",
        "Bronze",
    ]
    for bad in ("", "\n \n", "A\na", "x" * 201):
        with pytest.raises(ValidationError):
            adm.parse_options(bad)


def test_moving_an_item_stays_within_the_list():
    assert adm.moved([1, 2, 3], 3, -1) == [1, 3, 2]
    assert adm.moved([1, 2, 3], 1, -1) == [1, 2, 3]
    assert adm.moved([1, 2, 3], 3, 1) == [1, 2, 3]
    assert adm.moved([1, 2, 3], 1, 5) == [2, 3, 1]
    assert adm.moved([1, 2, 3], 9, 1) == [1, 2, 3]


def test_only_a_yes_no_field_cannot_hold_several_values():
    assert [t for t in FieldType if not adm.allows_multiple(t)] == [FieldType.BOOLEAN]


def test_a_label_is_required_and_bounded():
    assert adm.clean_label("  Budget  ") == "Budget"
    for bad in ("", "   ", "x" * 201, "a\x00b"):
        with pytest.raises(ValidationError):
            adm.clean_label(bad)


# --- permission -----------------------------------------------------------------------------


async def test_every_use_case_needs_the_settings_right(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    target = await make_staff("Target", active=False)
    sales = await Department.create(name="Sales")
    client = await ContactType.get(name="Client")
    employee = await Role.get(name="Employee")
    placement = await CardPlacement.get(field="position")
    field = await adm.add_custom_field(CLI, "Budget", FieldType.DECIMAL)
    calls = [
        adm.overview(plain),
        adm.contact_types(plain),
        adm.contact_type(plain, client.id),
        adm.move_type(plain, client.id, 1),
        adm.custom_fields(plain),
        adm.custom_field(plain, field.id),
        adm.add_custom_field(plain, "Other", FieldType.STRING),
        adm.update_custom_field(plain, field.id, {"required": True}),
        adm.delete_custom_field(plain, field.id),
        adm.layout_view(plain),
        adm.move_layout_field(plain, placement.id, -1),
        adm.move_layout_field_to(plain, placement.id, placement.section_id),
        adm.set_layout_field_hidden(plain, placement.id, True),
        adm.add_card_section(plain, "Extra"),
        adm.staff_members(plain),
        adm.staff_member(plain, target.id),
        adm.reactivate_staff(plain, target.id),
        adm.set_staff_department(plain, target.id, sales.id, True),
        adm.departments(plain),
        adm.roles(plain),
        adm.role(plain, employee.id),
        adm.set_role_settings_right(plain, employee.id, True),
        adm.make_invite(plain, employee.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            await call
    assert not (await Staff.get(id=target.id)).is_active
    assert not (await CardPlacement.get(id=placement.id)).hidden
    assert (await CustomField.get(id=field.id)).is_active
    assert not await CardSection.exists(title="Extra")
    assert not (await Role.get(id=employee.id)).can_manage_settings


# --- contact types --------------------------------------------------------------------------


async def test_types_are_listed_in_order_with_their_use(db):
    supplier = await ContactType.get(name="Supplier")
    await create_contact(CLI, {"first_name": "A", "type_id": supplier.id})
    await create_contact(CLI, {"first_name": "B", "type_id": supplier.id})
    types = await adm.contact_types(CLI)
    assert [(u.name, u.contacts, u.position, u.total) for u in types] == [
        ("Client", 0, 1, 3),
        ("Supplier", 2, 2, 3),
        ("Partner", 0, 3, 3),
    ]
    with pytest.raises(NotFoundError):
        await adm.contact_type(CLI, 999)


async def test_a_type_moves_one_place_at_a_time(db):
    partner = await ContactType.get(name="Partner")
    await adm.move_type(CLI, partner.id, -1)
    order = await ContactType.all().order_by("sort").values_list("name", flat=True)
    assert order == ["Client", "Partner", "Supplier"]
    await adm.move_type(CLI, partner.id, 5)
    order = await ContactType.all().order_by("sort").values_list("name", flat=True)
    assert order == ["Client", "Supplier", "Partner"]
    with pytest.raises(NotFoundError):
        await adm.move_type(CLI, 999, 1)


# --- custom fields --------------------------------------------------------------------------


async def test_a_custom_fields_code_comes_from_its_label_and_stays_unique(db):
    first = await adm.add_custom_field(CLI, "Size", FieldType.LIST, options=["S", "M"])
    await adm.delete_custom_field(CLI, first.id)
    second = await adm.add_custom_field(
        CLI, "Size", FieldType.LIST, options=["S", "M", "L"], multiple=True, in_filter=True
    )
    assert (first.code, second.code) == ("size", "size_2")
    assert (second.options, second.multiple, second.in_filter) == (["S", "M", "L"], True, True)
    vip = await adm.add_custom_field(CLI, "VIP", FieldType.BOOLEAN, multiple=True)
    assert not vip.multiple
    with pytest.raises(ValidationError):
        await adm.add_custom_field(CLI, "Empty list", FieldType.LIST, options=[])


async def test_a_custom_field_is_changed_and_deleted_by_id(db):
    field = await adm.add_custom_field(CLI, "Budget", FieldType.DECIMAL)
    changed = await adm.update_custom_field(CLI, field.id, {"label": "Yearly", "in_filter": True})
    assert (changed.label, changed.in_filter) == ("Yearly", True)
    with pytest.raises(ValidationError):
        await adm.update_custom_field(CLI, field.id, {"type": "string"})
    await adm.delete_custom_field(CLI, field.id)
    assert [f.code for f in await adm.custom_fields(CLI)] == []
    with pytest.raises(NotFoundError):
        await adm.custom_field(CLI, field.id)


# --- card layout ----------------------------------------------------------------------------


async def test_the_layout_view_includes_hidden_fields_in_card_order(db):
    await adm.set_layout_field_hidden(
        CLI, (await CardPlacement.get(field="position")).id, hidden=True
    )
    view = await adm.layout_view(CLI)
    about = view.sections[0]
    assert [f.field for f in about.fields][6:9] == ["companies", "position", "type_id"]
    assert [f.field for f in about.fields if f.hidden] == ["position"]


async def test_a_layout_field_moves_within_and_between_sections(db):
    position = await CardPlacement.get(field="position")
    await adm.set_layout_field_hidden(
        CLI, (await CardPlacement.get(field="companies")).id, hidden=True
    )
    await adm.move_layout_field(CLI, position.id, -1)
    view = await adm.layout_view(CLI)
    names = [f.field for f in view.sections[0].fields]
    assert names.index("position") == names.index("companies") - 1  # hidden ones count too

    more = await CardSection.get(code="more")
    await adm.move_layout_field_to(CLI, position.id, more.id)
    view = await adm.layout_view(CLI)
    assert view.find(position.id) == (view.section(more.id), len(view.section(more.id).fields) - 1)
    with pytest.raises(NotFoundError):
        await adm.move_layout_field_to(CLI, position.id, 999)
    with pytest.raises(NotFoundError):
        await adm.move_layout_field(CLI, 999, 1)


async def test_a_section_gets_a_unique_code_from_its_title(db):
    first = await adm.add_card_section(CLI, "Réseaux & co")
    second = await adm.add_card_section(CLI, "Réseaux & co")
    more = await adm.add_card_section(CLI, "More")
    assert (first.code, second.code, more.code) == ("reseaux_co", "reseaux_co_2", "more_2")
    assert [s.code for s in (await adm.layout_view(CLI)).sections][-1] == "more_2"
    with pytest.raises(ValidationError):
        await adm.add_card_section(CLI, "  ")


# --- staff, departments and roles -----------------------------------------------------------


async def test_staff_are_listed_active_first(db, make_staff):
    await make_staff("Zoe")
    await make_staff("Adam", active=False)
    await make_staff("Bea")
    names = [m.name for m in await adm.staff_members(CLI)]
    assert names == ["Bea", "Zoe", "Adam"]


async def test_a_member_joins_and_leaves_a_department_once(db, make_staff):
    bob = await make_staff("Bob")
    sales = await Department.create(name="Sales")
    for _ in range(2):
        await adm.set_staff_department(CLI, bob.id, sales.id, True)
    assert [d.name for d in (await adm.staff_member(CLI, bob.id)).departments] == ["Sales"]
    for _ in range(2):
        await adm.set_staff_department(CLI, bob.id, sales.id, False)
    assert not await StaffDepartment.exists(staff_id=bob.id)
    entries = await HistoryEntry.filter(entity="staff", entity_id=bob.id).values_list(
        "kind", "field", "before", "after"
    )
    assert entries == [
        ("linked", "department", None, str(sales.id)),
        ("unlinked", "department", str(sales.id), None),
    ]
    with pytest.raises(NotFoundError):
        await adm.set_staff_department(CLI, bob.id, 999, True)


async def test_a_deactivated_member_is_reactivated_once(db, make_staff):
    bob = await make_staff("Bob", active=False)
    await adm.reactivate_staff(CLI, bob.id)
    await adm.reactivate_staff(CLI, bob.id)
    assert (await Staff.get(id=bob.id)).is_active
    entries = await HistoryEntry.filter(entity="staff", entity_id=bob.id).values_list(
        "field", "before", "after"
    )
    assert entries == [("active", "no", "yes")]


async def test_only_administrators_reactivate_an_administrator(db, make_staff):
    manager = await actor_of(await _settings_manager(make_staff))
    boss = await make_staff("Boss", admin=True, active=False)
    with pytest.raises(PermissionDeniedError):
        await adm.reactivate_staff(manager, boss.id)
    assert not (await Staff.get(id=boss.id)).is_active


async def test_only_administrators_give_a_role_the_settings_right(db, make_staff):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    employee = await Role.get(name="Employee")
    with pytest.raises(PermissionDeniedError):
        await adm.set_role_settings_right(manager, employee.id, True)

    role = await adm.set_role_settings_right(CLI, employee.id, True)
    assert role.can_manage_settings
    await adm.set_role_settings_right(manager, employee.id, False)
    assert not (await Role.get(id=employee.id)).can_manage_settings
    entries = await HistoryEntry.filter(entity="role", entity_id=employee.id).values_list(
        "field", "before", "after"
    )
    assert entries == [("can_manage_settings", "no", "yes"), ("can_manage_settings", "yes", "no")]
    with pytest.raises(NotFoundError):
        await adm.set_role_settings_right(CLI, 999, False)


async def test_an_invite_comes_with_the_names_of_its_role_and_department(db):
    employee = await Role.get(name="Employee")
    sales = await Department.create(name="Sales")
    invite = await adm.make_invite(CLI, employee.id, sales.id)
    assert (invite.role_name, invite.department_name) == ("Employee", "Sales")
    assert len(invite.token) >= 16
    plain = await adm.make_invite(CLI, employee.id)
    assert plain.department_name is None
    with pytest.raises(ValidationError):
        await adm.make_invite(CLI, 999)


async def test_the_overview_counts_what_the_menu_shows(db, make_staff):
    await make_staff("Bob")
    await make_staff("Gone", active=False)
    await Department.create(name="Sales")
    overview = await adm.overview(CLI)
    assert (overview.types, overview.fields, overview.staff, overview.departments) == (3, 0, 1, 1)
    assert overview.roles == await Role.all().count()
    assert await Contact.all().count() == 0


async def test_only_administrators_change_an_administrators_or_their_own_departments(
    db, make_staff
):
    manager_staff = await _settings_manager(make_staff)
    manager = await actor_of(manager_staff)
    boss = await make_staff("Boss", admin=True)
    bob = await make_staff("Bob")
    sales = await Department.create(name="Sales")

    for member in (manager_staff, boss):
        with pytest.raises(PermissionDeniedError):
            await adm.set_staff_department(manager, member.id, sales.id, True)
    assert not await StaffDepartment.exists(staff_id__in=[manager_staff.id, boss.id])

    await adm.set_staff_department(manager, bob.id, sales.id, True)
    admin = await actor_of(boss)
    await adm.set_staff_department(admin, boss.id, sales.id, True)
    await adm.set_staff_department(admin, manager_staff.id, sales.id, True)
    assert await StaffDepartment.filter(department_id=sales.id).count() == 3
