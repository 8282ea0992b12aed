"""Custom fields' pure rules: options typed one per line, and which types hold several values."""

from crm.errors import ValidationError
from models.enums import FieldType

OPTION_LENGTH = 200
MAX_OPTIONS = 200


def parse_options(text: str) -> list[str]:
    """List options typed one per line: trimmed, blank lines dropped; raises ValidationError
    for none, a repeated one or one that is too long."""
    options = [" ".join(line.split()) for line in text.splitlines()]
    options = [o for o in options if o]
    if not options:
        raise ValidationError({"options": "a list field needs at least one option"})
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"options": f"at most {MAX_OPTIONS} options"})
    if any(len(o) > OPTION_LENGTH for o in options):
        raise ValidationError({"options": f"an option is longer than {OPTION_LENGTH} characters"})
    if len({o.casefold() for o in options}) != len(options):
        raise ValidationError({"options": "must not repeat a value"})
    return options


def allows_multiple(field_type: FieldType) -> bool:
    """Whether a field of this type may hold several values (a yes/no cannot)."""
    return field_type != FieldType.BOOLEAN
