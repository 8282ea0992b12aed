"""The one rule for a required one-line name or label (types, roles, departments, fields)."""

from crm.errors import ValidationError
from crm.rules.fields import FieldError, clean_string

LABEL_LENGTH = 200


def clean_label(value: str | None, field: str = "label", limit: int = LABEL_LENGTH) -> str:
    """A required one-line label of at most `limit` characters, trimmed; raises
    ValidationError keyed by `field`."""
    try:
        label = clean_string(value, limit)
    except FieldError as exc:
        raise ValidationError({field: str(exc)}) from exc
    if not label:
        raise ValidationError({field: "is required"})
    return label
