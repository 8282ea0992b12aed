"""`carnet fields list|create`: custom fields of the contact card (F3), through the core's
crm.customfields use cases and their guards, as the bot's /settings → Fields."""

import argparse
from typing import Any

from app.settings import Settings
from app.terminal import add_json_flag, comma_list, print_json, print_table, say, yes
from crm import customfields
from crm.actors import system_actor
from crm.rules.customfields import parse_options
from models import CustomField
from models.enums import FieldType


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "fields",
        help="custom fields of the contact card",
        description="Custom fields: extra typed fields on every contact card, filled by hand, "
        "by imports and by web forms (`maps_to: custom.CODE`).",
    )
    fields_commands = group.add_subparsers(dest="fields_command", required=True, metavar="COMMAND")

    listing = fields_commands.add_parser("list", help="list the custom fields")
    add_json_flag(listing)
    listing.set_defaults(handler=fields_list)

    create = fields_commands.add_parser(
        "create",
        help="add a custom field to the contact card",
        description="Add a custom field; it appears in the card's 'more' section, and a web "
        "form feeds it with maps_to: custom.CODE. Its type cannot change later.",
    )
    create.add_argument(
        "code", metavar="CODE", help="its code: a-z, 0-9 and _, starting with a letter"
    )
    create.add_argument("--label", required=True, help="the name people see (English)")
    create.add_argument("--label-fr", metavar="LABEL", help="the name people see in French")
    create.add_argument(
        "--type",
        required=True,
        choices=[t.value for t in FieldType],
        metavar="TYPE",
        help=f"one of {', '.join(t.value for t in FieldType)}",
    )
    create.add_argument(
        "--options",
        type=comma_list,
        metavar="A,B",
        help="a list field's choices, separated by commas",
    )
    create.add_argument(
        "--required", action="store_true", help="a contact cannot be saved without it"
    )
    create.add_argument(
        "--multiple", action="store_true", help="it may hold several values (not yes/no)"
    )
    create.add_argument(
        "--in-filter", action="store_true", help="offer it in the contact list's filters"
    )
    create.set_defaults(handler=fields_create)


def _row(field: CustomField) -> dict[str, Any]:
    return {
        "code": field.code,
        "label": field.label,
        "label_fr": field.label_fr,
        "type": str(field.type.value),
        "required": field.required,
        "multiple": field.multiple,
        "in_filter": field.in_filter,
        "options": [o["key"] if isinstance(o, dict) else o for o in field.options or []],
    }


async def fields_list(settings: Settings, args: argparse.Namespace) -> int:
    every = [_row(field) for field in await customfields.list_fields(system_actor("cli"))]
    if args.json:
        print_json(every)
        return 0
    header = ["CODE", "LABEL", "TYPE", "REQUIRED", "MULTIPLE", "OPTIONS"]
    rows = [
        [
            f["code"],
            f["label"],
            f["type"],
            yes(f["required"]),
            yes(f["multiple"]),
            ", ".join(map(str, f["options"])) or "-",
        ]
        for f in every
    ]
    print_table(header, rows)
    return 0


async def fields_create(settings: Settings, args: argparse.Namespace) -> int:
    data: dict[str, Any] = {
        "code": args.code,
        "label": args.label,
        "type": args.type,
        "required": args.required,
        "multiple": args.multiple,
        "in_filter": args.in_filter,
    }
    if args.label_fr is not None:
        data["label_fr"] = args.label_fr
    if args.options is not None:
        # The bot's rule for options typed by hand: trimmed, no repeats, at most 200.
        data["options"] = parse_options("\n".join(args.options))
    field = await customfields.create_field(system_actor("cli"), data)
    say(
        f"custom field '{field.code}' ({field.type.value}) is on the contact card;"
        f" web forms feed it with maps_to: custom.{field.code}"
    )
    return 0
