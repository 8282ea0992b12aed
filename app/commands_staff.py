"""`carnet staff add|list|role|deactivate|activate` and `carnet roles list`: the bot's
/settings → Staff and Roles from a terminal, through the same use cases and the same guards."""

import argparse
from typing import Any

from app.settings import Settings
from app.terminal import (
    CliError,
    add_json_flag,
    comma_list,
    non_blank,
    print_json,
    print_table,
    say,
    telegram_id,
    yes,
)
from crm import staff
from crm.actors import Actor, system_actor
from crm.errors import NotFoundError
from models import Role, Staff
from models.enums import Action

TELEGRAM_ID_HELP = "the member's numeric Telegram user id (e.g. from @userinfobot)"


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "staff", help="staff members", description="Staff members, by Telegram user id."
    )
    staff_commands = group.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")

    add = staff_commands.add_parser(
        "add",
        help="add or reactivate a staff member",
        description="Add a staff member (or reactivate one) by Telegram user id. They can use "
        "the bot from their next message.",
    )
    add.add_argument(
        "--telegram-id", required=True, type=telegram_id, metavar="ID", help=TELEGRAM_ID_HELP
    )
    add.add_argument(
        "--name",
        type=non_blank,
        help="the name colleagues see (default: their Telegram name, taken at their first /start)",
    )
    add.add_argument(
        "--admin", action="store_true", help="make them an administrator (every right)"
    )
    add.add_argument(
        "--roles",
        type=comma_list,
        default=[],
        metavar="ROLE[,ROLE]",
        help="roles to give them, by name (see `carnet roles list`)",
    )
    add.set_defaults(handler=staff_add)

    listing = staff_commands.add_parser(
        "list",
        help="list the staff with their roles and departments",
        description="The active staff members (with --all, the deactivated ones too).",
    )
    listing.add_argument("--all", action="store_true", help="include deactivated members")
    add_json_flag(listing)
    listing.set_defaults(handler=staff_list)

    role = staff_commands.add_parser(
        "role",
        help="change a member's roles",
        description="Give or take roles (by name, see `carnet roles list`); prints the roles "
        "the member holds afterwards.",
    )
    role.add_argument("telegram_id", type=telegram_id, metavar="TELEGRAM_ID", help=TELEGRAM_ID_HELP)
    change = role.add_mutually_exclusive_group(required=True)
    change.add_argument(
        "--set",
        type=comma_list,
        metavar="ROLE[,ROLE]",
        help="exactly these roles ('' takes every role away)",
    )
    change.add_argument("--add", type=comma_list, metavar="ROLE[,ROLE]", help="give these roles")
    change.add_argument(
        "--remove", type=comma_list, metavar="ROLE[,ROLE]", help="take these roles away"
    )
    role.set_defaults(handler=staff_role)

    for verb, handler, text in (
        ("deactivate", staff_deactivate, "refuse a member from their next message (kept)"),
        ("activate", staff_activate, "let a deactivated member back in"),
    ):
        command = staff_commands.add_parser(
            verb, help=text, description=text[0].upper() + text[1:] + "."
        )
        command.add_argument(
            "telegram_id", type=telegram_id, metavar="TELEGRAM_ID", help=TELEGRAM_ID_HELP
        )
        command.set_defaults(handler=handler)

    roles = commands.add_parser("roles", help="roles", description="Roles and their rights.")
    roles_commands = roles.add_subparsers(dest="roles_command", required=True, metavar="COMMAND")
    roles_list = roles_commands.add_parser(
        "list",
        help="list the roles with their level for each action",
        description="Each role's level per action (none, own, department, department_tree, "
        "open, all) and whether it may change settings.",
    )
    add_json_flag(roles_list)
    roles_list.set_defaults(handler=roles_list_command)


# --- lookups (by what an administrator types: a Telegram id, a role's name) -----------------


async def _member(actor: Actor, tg_id: int) -> Staff:
    try:
        return await staff.staff_by_telegram_id(actor, tg_id)
    except NotFoundError as exc:
        raise CliError(f"{exc.message} (see `carnet staff list --all`)") from exc


async def _roles_named(actor: Actor, names: list[str]) -> list[Role]:
    """Roles by name (any case); an unknown name lists the roles there are."""
    roles = await staff.list_roles(actor)
    by_name = {role.name.casefold(): role for role in roles}
    unknown = [name for name in names if name.casefold() not in by_name]
    if unknown:
        known = ", ".join(role.name for role in roles) or "none yet"
        raise CliError(f"no role named {', '.join(map(repr, unknown))} (roles: {known})")
    return [by_name[name.casefold()] for name in names]


def _who(member: Staff) -> str:
    name = f" {member.name}" if member.name else ""
    return f"staff member #{member.id}{name} (Telegram id {member.telegram_id})"


# --- commands -------------------------------------------------------------------------------


async def staff_add(settings: Settings, args: argparse.Namespace) -> int:
    actor = system_actor("cli")
    role_ids = [role.id for role in await _roles_named(actor, args.roles)]
    member = await staff.add_staff(
        actor, args.telegram_id, name=args.name or "", admin=args.admin, role_ids=role_ids
    )
    what = "admin" if member.is_admin else "staff member"
    name = f" {member.name}" if member.name else ""
    say(f"{what} #{member.id}{name} (Telegram id {member.telegram_id}) is active")
    return 0


async def staff_list(settings: Settings, args: argparse.Namespace) -> int:
    actor = system_actor("cli")
    members = [m for m in await staff.staff_members(actor) if args.all or m.is_active]
    views = [await staff.staff_member(actor, m.id) for m in members]
    if args.json:
        print_json(
            [
                {
                    "id": view.staff.id,
                    "telegram_id": view.staff.telegram_id,
                    "name": view.staff.name,
                    "is_admin": view.staff.is_admin,
                    "is_active": view.staff.is_active,
                    "roles": [role.name for role in view.roles],
                    "departments": [department.name for department in view.departments],
                }
                for view in views
            ]
        )
        return 0
    header = ["ID", "TELEGRAM ID", "NAME", "ADMIN", "ACTIVE", "ROLES", "DEPARTMENTS"]
    rows = [
        [
            str(view.staff.id),
            str(view.staff.telegram_id),
            view.staff.name or "-",
            yes(view.staff.is_admin),
            yes(view.staff.is_active),
            ", ".join(role.name for role in view.roles) or "-",
            ", ".join(department.name for department in view.departments) or "-",
        ]
        for view in views
    ]
    print_table(header, rows)
    return 0


async def staff_role(settings: Settings, args: argparse.Namespace) -> int:
    """--set, --add or --remove: one change_roles, the use case behind the bot's toggles."""
    actor = system_actor("cli")
    member = await _member(actor, args.telegram_id)
    names = next(v for v in (args.set, args.add, args.remove) if v is not None)
    named = [role.id for role in await _roles_named(actor, names)]
    if args.remove is not None:
        now = await staff.change_roles(actor, member.id, revoke=named)
    else:
        now = await staff.change_roles(
            actor, member.id, grant=named, revoke_others=args.set is not None
        )
    roles = ", ".join(role.name for role in now) or "no role"
    say(f"{_who(member)} holds {roles}")
    return 0


async def staff_deactivate(settings: Settings, args: argparse.Namespace) -> int:
    actor = system_actor("cli")
    member = await _member(actor, args.telegram_id)
    if not member.is_active:
        say(f"{_who(member)} is already deactivated")
        return 0
    await staff.deactivate_staff(actor, member.id)
    say(f"{_who(member)} is deactivated: the bot refuses them from their next message")
    return 0


async def staff_activate(settings: Settings, args: argparse.Namespace) -> int:
    actor = system_actor("cli")
    member = await _member(actor, args.telegram_id)
    if member.is_active:
        say(f"{_who(member)} is already active")
        return 0
    await staff.reactivate_staff(actor, member.id)
    say(f"{_who(member)} is active again")
    return 0


async def roles_list_command(settings: Settings, args: argparse.Namespace) -> int:
    roles = await staff.list_roles(system_actor("cli"))

    def level(role: Role, action: Action) -> str:
        return str(getattr(role, f"{action.value}_level").name.lower())

    if args.json:
        print_json(
            [
                {
                    "id": role.id,
                    "name": role.name,
                    "levels": {action.value: level(role, action) for action in Action},
                    "can_manage_settings": role.can_manage_settings,
                }
                for role in roles
            ]
        )
        return 0
    header = ["ID", "NAME", *(action.value.upper() for action in Action), "SETTINGS"]
    rows = [
        [
            str(role.id),
            role.name,
            *(level(role, action) for action in Action),
            yes(role.can_manage_settings),
        ]
        for role in roles
    ]
    print_table(header, rows)
    return 0
