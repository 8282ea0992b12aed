"""/settings in the bot: types, custom fields, layout, staff, roles, invites, checked in the
database; refusals, escaping, French and Telegram's limits."""

import re
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod

from bot.handlers.settings.dialog import MenuScreen, SettingsMenu
from bot.handlers.settings.fields import FieldAction, FieldStep
from bot.handlers.settings.form_fields import FormFieldAction, fingerprint
from bot.handlers.settings.forms import FormAction
from bot.handlers.settings.roles import RoleAction, RoleStep
from bot.handlers.settings.staff import StaffAction, StaffStep
from bot.handlers.settings.types import TypeAction, TypeStep
from crm.contacts import create_contact
from crm.staff import update_profile
from models import (
    CardPlacement,
    CardSection,
    Contact,
    ContactType,
    CustomField,
    Department,
    HistoryEntry,
    Invite,
    Role,
    Staff,
    StaffDepartment,
    StaffRole,
)
from models.enums import FieldType, Level
from tests.bot.harness import Harness, buttons, texts
from tests.conftest import actor_of
from tests.telegram_stub import parse_html, utf16_len

HOSTILE = "<b>x</b> & <i>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;"


class Admin:
    """An administrator talking to the bot; every reply is checked against Telegram's limits."""

    def __init__(self, staff: Staff, harness: Harness | None = None) -> None:
        self.staff = staff
        self.h = harness or Harness()
        self.last: list[TelegramMethod[Any]] = []

    async def send(self, text: str) -> list[TelegramMethod[Any]]:
        self.last = await self.h.send(self.staff.telegram_id, text)
        _check_limits(self.last)
        return self.last

    async def click(self, data: str) -> list[TelegramMethod[Any]]:
        self.last = await self.h.click(self.staff.telegram_id, data)
        _check_limits(self.last)
        return self.last

    async def press(self, label: str) -> list[TelegramMethod[Any]]:
        """Press the button labelled `label` on the last message shown."""
        shown = buttons(self.last)
        assert label in shown, f"{label!r} not in {list(shown)}"
        return await self.click(shown[label])

    @property
    def text(self) -> str:
        return texts(self.last)[-1]


def _check_limits(calls: list[TelegramMethod[Any]]) -> None:
    """Texts Telegram would parse (strict HTML, ≤ 4096 characters); keyboards within limits."""
    for call in calls:
        text = getattr(call, "text", None)
        if text is not None and not isinstance(call, AnswerCallbackQuery):
            visible, _ = parse_html(text)
            assert utf16_len(visible) <= 4096
        markup = getattr(call, "reply_markup", None)
        if markup is not None and hasattr(markup, "inline_keyboard"):
            rows = markup.inline_keyboard
            assert sum(len(row) for row in rows) <= 100
            assert all(len(row) <= 8 for row in rows)
            for row in rows:
                for button in row:
                    assert len(button.callback_data.encode()) <= 64


def _alerts(calls: list[TelegramMethod[Any]]) -> list[str]:
    return [c.text or "" for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]


@pytest.fixture
async def alice(make_staff) -> Admin:
    return Admin(await make_staff("Alice", admin=True))


async def _type(name: str) -> ContactType:
    return await ContactType.get(name=name)


# --- access ---------------------------------------------------------------------------------


async def test_a_staff_member_without_the_settings_right_is_refused(make_staff):
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    refused = await plain.send("/settings")
    assert "right" in texts(refused)[0]
    assert buttons(refused) == {}
    client = await _type("Client")
    for data in (
        SettingsMenu(screen=MenuScreen.STAFF).pack(),
        TypeAction(action=TypeStep.CONFIRM_DELETE, type_id=client.id).pack(),
        RoleAction(
            action=RoleStep.SET_LEVEL,
            role_id=(await Role.get(name="Employee")).id,
            action_index=0,
            level=5,
        ).pack(),
    ):
        calls = await plain.click(data)
        assert "right" in texts(calls)[0]
    assert await ContactType.exists(id=client.id)
    assert (await Role.get(name="Employee")).read_level == Level.DEPARTMENT


async def test_an_admin_gets_the_settings_menu(alice):
    await alice.send("/settings")
    assert "Settings" in alice.text
    assert set(buttons(alice.last)) == {
        "Contact types (3)",
        "Custom fields (0)",
        "Card layout",
        "Staff (1)",
        "Departments (0)",
        "Roles and rights (4)",
        "Web forms",
        "Invite link",
    }


async def _settings_manager(make_staff) -> Admin:
    """A staff member who is no admin but holds a role with the settings right."""
    manager = await make_staff("Manager", level=Level.OWN)
    link = await StaffRole.get(staff_id=manager.id)
    await Role.filter(id=link.role_id).update(can_manage_settings=True)
    return Admin(manager)


async def test_a_role_with_the_settings_right_opens_the_menu(make_staff):
    manager = await _settings_manager(make_staff)
    await manager.send("/settings")
    assert "Contact types (3)" in buttons(manager.last)


# --- contact types --------------------------------------------------------------------------


async def test_contact_types_are_added_renamed_and_reordered(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.TYPES).pack())
    assert re.search(r"1\. <b>Client</b> — 0 contacts", alice.text)
    await alice.press("➕ Add a type")
    await alice.send("Reseller")
    assert "Reseller" in alice.text and "4. Reseller" in buttons(alice.last)

    await alice.press("4. Reseller")
    await alice.press("✏️ Rename")
    await alice.send("Distributor")
    reseller = await ContactType.get(name="Distributor")
    await alice.press("▲ Up")
    await alice.press("▲ Up")
    assert "Position 2 of 4" in alice.text
    order = await ContactType.all().order_by("sort").values_list("name", flat=True)
    assert order == ["Client", "Distributor", "Supplier", "Partner"]
    assert reseller.name == "Distributor"


async def test_deleting_a_type_in_use_asks_where_its_contacts_go_and_moves_them(alice):
    actor = await actor_of(alice.staff)
    supplier = await _type("Supplier")
    partner = await _type("Partner")
    contact = await create_contact(actor, {"first_name": "Jean", "type_id": supplier.id})

    await alice.click(TypeAction(action=TypeStep.DELETE, type_id=supplier.id).pack())
    assert "1 contact uses <b>Supplier</b>" in alice.text
    assert set(buttons(alice.last)) == {"Client", "Partner", "◀ Back"}
    await alice.press("Partner")

    assert not await ContactType.exists(id=supplier.id)
    assert (await Contact.get(id=contact.id)).type_id == partner.id
    assert "1 contact is now «Partner»" in alice.text
    assert await HistoryEntry.filter(
        entity="contact", entity_id=contact.id, field="type_id"
    ).exists()


async def test_deleting_an_unused_type_asks_for_confirmation(alice):
    client = await _type("Client")
    await alice.click(TypeAction(action=TypeStep.OPEN, type_id=client.id).pack())
    await alice.press("🗑 Delete")
    assert "No contact uses it" in alice.text
    assert await ContactType.exists(id=client.id)
    await alice.press("Yes, delete")
    assert not await ContactType.exists(id=client.id)
    assert "«Client» deleted" in alice.text


# --- custom fields --------------------------------------------------------------------------


async def test_a_list_field_is_created_with_its_options_through_the_dialog(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.FIELDS).pack())
    await alice.press("➕ Add a field")
    await alice.send("Customer level")
    assert set(buttons(alice.last)) >= {"list", "text (one line)", "staff member", "yes / no"}
    await alice.press("list")
    await alice.send("Gold\n  Silver \n\nBronze")
    await alice.press("Yes")  # required
    await alice.press("No")  # several values
    await alice.press("Yes")  # shown in filter

    field = await CustomField.get(label="Customer level")
    assert (field.code, field.type, field.options) == (
        "customer_level",
        FieldType.LIST,
        ["Gold", "Silver", "Bronze"],
    )
    assert (field.required, field.multiple, field.in_filter) == (True, False, True)
    assert "Options: Gold, Silver, Bronze" in alice.text
    assert await CardPlacement.exists(field="uf:customer_level")


async def test_a_yes_no_field_is_not_asked_about_several_values(alice):
    await alice.click(FieldAction(action=FieldStep.ADD).pack())
    await alice.send("VIP")
    await alice.press("yes / no")
    await alice.press("No")
    assert "Show it in the search filters?" in alice.text
    await alice.press("No")
    field = await CustomField.get(code="vip")
    assert (field.type, field.multiple) == (FieldType.BOOLEAN, False)


async def test_a_bad_answer_in_the_field_dialog_is_explained_and_can_be_retried(alice):
    await alice.click(FieldAction(action=FieldStep.ADD).pack())
    await alice.send("x" * 300)
    assert "longer than 200" in alice.text
    await alice.send("Rank")
    await alice.press("list")
    await alice.send("A\nA")
    assert "repeat" in alice.text
    await alice.send("A\nB")
    assert "Is the field required?" in alice.text
    await alice.send("typed instead of pressed")
    assert "buttons" in alice.text


async def test_a_custom_field_is_renamed_toggled_and_deleted(alice):
    await alice.click(FieldAction(action=FieldStep.ADD).pack())
    await alice.send("Budget")
    await alice.press("number")
    for _ in range(3):
        await alice.press("No")
    field = await CustomField.get(code="budget")

    await alice.press("✏️ Rename")
    await alice.send("Yearly budget")
    await alice.press("⬜ Required")
    await alice.press("⬜ Shown in filter")
    field = await CustomField.get(id=field.id)
    assert (field.label, field.required, field.in_filter) == ("Yearly budget", True, True)
    await alice.press("✅ Required")
    assert not (await CustomField.get(id=field.id)).required

    await alice.press("🗑 Delete")
    assert (await CustomField.get(id=field.id)).is_active
    await alice.press("Yes, delete")
    assert not (await CustomField.get(id=field.id)).is_active
    assert "Field «Yearly budget» deleted" in alice.text


async def test_a_dialog_button_pressed_after_the_dialog_is_answered_as_outdated(alice):
    await alice.click(FieldAction(action=FieldStep.ADD).pack())
    await alice.send("Colour")
    type_buttons = buttons(alice.last)
    await alice.send("/cancel")
    calls = await alice.click(type_buttons["text (one line)"])
    assert _alerts(calls) and "closed" in _alerts(calls)[0]
    assert not await CustomField.exists(code="colour")


# --- card layout ----------------------------------------------------------------------------


async def _open_layout_field(alice: Admin, section: str, label: str) -> None:
    await alice.click(SettingsMenu(screen=MenuScreen.LAYOUT).pack())
    await alice.press(section)
    shown = buttons(alice.last)
    [key] = [k for k in shown if k.split(". ", 1)[-1].removeprefix("🚫 ") == label]
    await alice.press(key)


async def test_hiding_a_layout_field_takes_it_off_the_card(alice):
    actor = await actor_of(alice.staff)
    jean = await create_contact(actor, {"first_name": "Jean", "position": "Buyer"})
    card = texts(await alice.h.send(alice.staff.telegram_id, f"/start c{jean.id}"))[0]
    assert "Buyer" in card

    await _open_layout_field(alice, "About contact", "Position")
    await alice.press("🚫 Hide")
    assert "Hidden: yes" in alice.text
    assert (await CardPlacement.get(field="position")).hidden
    card = texts(await alice.h.send(alice.staff.telegram_id, f"/start c{jean.id}"))[0]
    assert "Buyer" not in card

    await alice.press("👁 Show")
    assert not (await CardPlacement.get(field="position")).hidden


async def test_layout_fields_move_up_down_and_to_the_other_section(alice):
    await _open_layout_field(alice, "About contact", "Position")
    assert "position 8 of 11" in alice.text
    await alice.press("▲ Up")
    assert "position 7 of 11" in alice.text
    await alice.press("▼ Down")
    await alice.press("▼ Down")
    assert "position 9 of 11" in alice.text
    await alice.press("→ Move to «More»")
    assert "Section «More», position 12 of 12" in alice.text
    placement = await CardPlacement.get(field="position")
    more = await CardSection.get(code="more")
    assert placement.section_id == more.id
    last = await CardPlacement.filter(section_id=more.id).order_by("-sort").first()
    assert last is not None and last.field == "position"


async def test_a_card_section_is_added_and_fields_move_into_it(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.LAYOUT).pack())
    await alice.press("➕ Add a section")
    await alice.send("Réseaux & co")
    section = await CardSection.get(title="Réseaux & co")
    assert section.code == "reseaux_co"
    assert "Réseaux &amp; co" in alice.text
    await _open_layout_field(alice, "More", "Websites")
    await alice.press("→ Move to «Réseaux & co»")
    assert (await CardPlacement.get(field="websites")).section_id == section.id


async def test_the_names_cannot_be_hidden(alice):
    await _open_layout_field(alice, "About contact", "Last name")
    await alice.press("🚫 Hide")
    assert "cannot be hidden" in alice.text
    assert not (await CardPlacement.get(field="last_name")).hidden


# --- staff ----------------------------------------------------------------------------------


async def test_a_members_roles_and_departments_are_toggled(alice, make_staff):
    bob = await make_staff("Bob", level=None)
    sales = await Department.create(name="Sales")
    employee = await Role.get(name="Employee")

    await alice.click(SettingsMenu(screen=MenuScreen.STAFF).pack())
    assert "• Alice — <i>administrator</i>" in alice.text
    await alice.press("Bob")
    assert "Roles: —" in alice.text
    await alice.press("Roles")
    await alice.press("⬜ Employee")
    assert await StaffRole.exists(staff_id=bob.id, role_id=employee.id)
    await alice.press("✅ Employee")
    assert not await StaffRole.exists(staff_id=bob.id, role_id=employee.id)
    await alice.press("⬜ Employee")

    await alice.click(StaffAction(action=StaffStep.DEPARTMENTS, staff_id=bob.id).pack())
    await alice.press("⬜ Sales")
    assert await StaffDepartment.exists(staff_id=bob.id, department_id=sales.id)
    await alice.press("◀ Back")
    assert "Roles: Employee" in alice.text and "Departments: Sales" in alice.text
    await alice.click(
        StaffAction(
            action=StaffStep.TOGGLE_DEPARTMENT, staff_id=bob.id, item_id=sales.id, granted=False
        ).pack()
    )
    assert not await StaffDepartment.exists(staff_id=bob.id, department_id=sales.id)
    kinds = await HistoryEntry.filter(entity="staff", entity_id=bob.id).values_list("kind", "field")
    assert ("linked", "department") in kinds and ("unlinked", "department") in kinds


async def test_a_deactivated_member_is_then_refused_by_the_bot(alice, make_staff):
    bob = await make_staff("Bob")
    assert "invite link" not in texts(await alice.h.send(bob.telegram_id, "/help"))[0]

    await alice.click(StaffAction(action=StaffStep.OPEN, staff_id=bob.id).pack())
    await alice.press("⛔ Deactivate")
    assert (await Staff.get(id=bob.id)).is_active
    await alice.press("Yes, deactivate")
    assert not (await Staff.get(id=bob.id)).is_active
    assert "Bob is deactivated" in alice.text

    assert "invite link" in texts(await alice.h.send(bob.telegram_id, "/help"))[0]
    await alice.click(SettingsMenu(screen=MenuScreen.STAFF).pack())
    assert "<s>Bob</s>" in alice.text
    await alice.press("⛔ Bob")
    await alice.press("♻️ Reactivate")
    assert (await Staff.get(id=bob.id)).is_active


async def test_an_admin_cannot_deactivate_themselves(alice):
    await alice.click(
        StaffAction(action=StaffStep.CONFIRM_DEACTIVATE, staff_id=alice.staff.id).pack()
    )
    assert "cannot deactivate yourself" in alice.text
    assert (await Staff.get(id=alice.staff.id)).is_active


async def test_a_department_is_added(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.DEPARTMENTS).pack())
    assert "no department yet" in alice.text
    await alice.press("➕ Add a department")
    await alice.send("Support")
    assert await Department.exists(name="Support")
    assert "• Support" in alice.text


# --- roles ----------------------------------------------------------------------------------


async def test_a_role_level_and_settings_right_are_changed(alice):
    employee = await Role.get(name="Employee")
    await alice.click(SettingsMenu(screen=MenuScreen.ROLES).pack())
    await alice.press("Employee")
    assert "Read: <b>department</b>" in alice.text
    await alice.press("Export: own")
    assert "✓ own" in buttons(alice.last)
    await alice.press("all")
    assert (await Role.get(id=employee.id)).export_level == Level.ALL
    assert "Export: <b>all</b>" in alice.text
    await alice.press("⬜ May change settings")
    assert (await Role.get(id=employee.id)).can_manage_settings
    await alice.press("✅ May change settings")
    assert not (await Role.get(id=employee.id)).can_manage_settings


async def test_a_role_is_added_without_rights(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.ROLES).pack())
    await alice.press("➕ Add a role")
    await alice.send("Intern")
    role = await Role.get(name="Intern")
    assert role.read_level == Level.NONE and not role.can_manage_settings
    assert "Read: <b>none</b>" in alice.text


async def test_a_settings_manager_cannot_raise_a_role_above_their_own_levels(make_staff):
    manager = await _settings_manager(make_staff)
    employee = await Role.get(name="Employee")
    calls = await manager.click(
        RoleAction(action=RoleStep.SET_LEVEL, role_id=employee.id, action_index=0, level=5).pack()
    )
    assert "right" in texts(calls)[0]
    calls = await manager.click(
        RoleAction(action=RoleStep.SETTINGS_RIGHT, role_id=employee.id, allowed=True).pack()
    )
    assert "right" in texts(calls)[0]
    employee = await Role.get(id=employee.id)
    assert (employee.read_level, employee.can_manage_settings) == (Level.DEPARTMENT, False)


# --- invites --------------------------------------------------------------------------------


async def test_an_invite_link_lets_a_newcomer_join_once_with_its_role(alice):
    sales = await Department.create(name="Sales")
    await alice.click(SettingsMenu(screen=MenuScreen.INVITE).pack())
    await alice.press("Employee")
    await alice.press("Sales")
    match = re.search(r"https://t\.me/carnet_test_bot\?start=inv_([A-Za-z0-9_-]+)", alice.text)
    assert match, alice.text
    invite = await Invite.get(token=match.group(1))
    assert "expires on" in alice.text
    assert "Employee" in alice.text and "Sales" in alice.text

    welcome = await alice.h.send(777, f"/start inv_{invite.token}", first_name="Nina")
    assert "Welcome" in texts(welcome)[0]
    nina = await Staff.get(telegram_id=777)
    assert await StaffRole.exists(staff_id=nina.id, role_id=invite.role_id)
    assert await StaffDepartment.exists(staff_id=nina.id, department_id=sales.id)

    again = await alice.h.send(778, f"/start inv_{invite.token}", first_name="Eve")
    assert "already used" in texts(again)[0]
    assert not await Staff.exists(telegram_id=778)


async def test_without_departments_the_invite_is_made_after_the_role(alice):
    await alice.click(SettingsMenu(screen=MenuScreen.INVITE).pack())
    await alice.press("Director")
    assert "start=inv_" in alice.text
    assert (await Invite.first()).department_id is None


# --- language, escaping, limits -------------------------------------------------------------


async def test_settings_speak_french(alice):
    await update_profile(await actor_of(alice.staff), language="fr")
    await alice.send("/settings")
    assert "Paramètres" in alice.text
    assert "Types de contact (3)" in buttons(alice.last)
    await alice.press("Rôles et droits (4)")
    await alice.press("Employee")
    assert "Lire : <b>département</b>" in alice.text
    await alice.click(SettingsMenu(screen=MenuScreen.INVITE).pack())
    await alice.press("Director")
    assert "expire le" in alice.text


async def test_user_typed_names_are_escaped_everywhere(alice, make_staff):
    await make_staff(HOSTILE, level=None)
    await alice.click(TypeAction(action=TypeStep.ADD).pack())
    await alice.send(HOSTILE)
    assert ESCAPED in alice.text
    assert f"4. {HOSTILE}" in buttons(alice.last)
    await alice.click(FieldAction(action=FieldStep.ADD).pack())
    await alice.send(HOSTILE)
    await alice.press("text (one line)")
    for _ in range(3):
        await alice.press("No")
    assert ESCAPED in alice.text
    await alice.click(RoleAction(action=RoleStep.ADD).pack())
    await alice.send(HOSTILE)
    assert ESCAPED in alice.text
    await alice.click(SettingsMenu(screen=MenuScreen.STAFF).pack())
    assert ESCAPED in alice.text and HOSTILE in buttons(alice.last)
    for call in alice.last:
        if isinstance(call, SendMessage):
            assert "<b>x</b>" not in call.text


async def test_long_lists_are_paged_within_telegram_limits(alice, make_staff):
    for i in range(45):
        await make_staff(f"Member {i:02d} " + "z" * 150, level=None)
        await ContactType.create(name=f"Type {i:02d} " + "y" * 90, sort=100 + i)
    await alice.click(SettingsMenu(screen=MenuScreen.STAFF).pack())
    assert "(page 1 of 3)" in alice.text
    await alice.press("Next ▶")
    assert "(page 2 of 3)" in alice.text
    await alice.click(SettingsMenu(screen=MenuScreen.TYPES).pack())
    await alice.press("Next ▶")
    await alice.press("Next ▶")
    assert "(page 3 of 3)" in alice.text
    # Deleting a type in use offers every other type as a target, within 100 buttons.
    client = await _type("Client")
    await create_contact(await actor_of(alice.staff), {"first_name": "Jean", "type_id": client.id})
    await alice.click(TypeAction(action=TypeStep.DELETE, type_id=client.id).pack())


async def test_a_settings_manager_who_is_not_an_admin_cannot_deactivate_an_admin(db, make_staff):
    from crm.actors import actor_for_staff
    from crm.errors import PermissionDeniedError
    from crm.staff import deactivate_staff
    from models import Role, Staff, StaffRole

    boss = await make_staff("Boss", admin=True)
    manager = await make_staff("Manager")
    role = await Role.create(name="Settings only", can_manage_settings=True)
    await StaffRole.create(staff=manager, role=role)
    with pytest.raises(PermissionDeniedError):
        await deactivate_staff(await actor_for_staff(manager), boss.id)
    assert (await Staff.get(id=boss.id)).is_active


async def test_a_settings_manager_cannot_widen_their_own_reach_with_departments(db, make_staff):
    from crm.actors import actor_for_staff
    from crm.errors import PermissionDeniedError
    from crm.staff import change_departments
    from models import Department, Role, StaffRole

    manager = await make_staff("Manager")
    role = await Role.create(name="Settings only", can_manage_settings=True)
    await StaffRole.create(staff=manager, role=role)
    other = await Department.create(name="Other team")
    with pytest.raises(PermissionDeniedError):
        await change_departments(await actor_for_staff(manager), manager.id, join=[other.id])


async def test_an_invite_does_not_bring_back_a_deactivated_admin(db, make_staff):
    from crm.actors import actor_for_staff
    from crm.errors import ConflictError
    from crm.staff import accept_invite, create_invite
    from models import Role, Staff

    boss = await make_staff("Boss", admin=True)
    gone = await make_staff("Gone admin", admin=True, active=False)
    invite = await create_invite(await actor_for_staff(boss), (await Role.first()).id)
    with pytest.raises(ConflictError):
        await accept_invite(invite.token, gone.telegram_id, "Gone", "en")
    assert not (await Staff.get(id=gone.id)).is_active


def test_every_settings_button_fits_telegrams_64_bytes():
    """Every action of every settings callback, with the largest ids and pages a button may
    carry, packs within Telegram's 64-byte callback_data limit."""
    from bot.handlers.settings.fields import NewFieldAnswer, NewFieldStep
    from bot.handlers.settings.form_fields import FormFieldStep
    from bot.handlers.settings.forms import FormStep
    from bot.handlers.settings.invites import InviteAction, InviteStep
    from bot.handlers.settings.layout import LayoutAction, LayoutStep
    from crm.db import MAX_ID

    big = MAX_ID
    packed = [SettingsMenu(screen=screen, page=big) for screen in MenuScreen]
    packed += [TypeAction(action=s, type_id=big, target_id=big) for s in TypeStep]
    packed += [FieldAction(action=s, field_id=big, value=True) for s in FieldStep]
    packed += [NewFieldAnswer(step=s, choice=big) for s in NewFieldStep]
    packed += [
        LayoutAction(action=s, placement_id=big, section_id=big, hidden=True, page=big)
        for s in LayoutStep
    ]
    packed += [
        StaffAction(action=s, staff_id=big, item_id=big, granted=True, page=big) for s in StaffStep
    ]
    packed += [
        RoleAction(action=s, role_id=big, action_index=9, level=big, allowed=True) for s in RoleStep
    ]
    packed += [InviteAction(action=s, role_id=big, department_id=big, page=big) for s in InviteStep]
    packed += [
        FormAction(
            action=s,
            form_id=big,
            setting=9,
            staff_id=big,
            choice=big,
            enabled=True,
            page=big,
        )
        for s in FormStep
    ]
    packed += [
        FormFieldAction(
            action=s,
            form_id=big,
            position=99,
            fingerprint=fingerprint("x" * 32),
            choice=big,
            required=True,
            page=big,
        )
        for s in FormFieldStep
    ]
    for data in packed:
        assert len(data.pack().encode()) <= 64, data.pack()
