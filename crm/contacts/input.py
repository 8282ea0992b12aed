"""A contact's input cleaned, in numbered steps: one error per field key, references checked."""

import functools
from datetime import date
from typing import Any

from tortoise.models import Model

from crm import config, customfields, memo
from crm.contacts.card import KNOWN_FIELDS, CleanContact
from crm.db import utcnow
from crm.errors import (
    ValidationError,
)
from crm.rules.fields import (
    BOOL_FIELDS,
    CHANNEL_FIELDS,
    DATE_FIELDS,
    MULTILINE,
    REF_FIELDS,
    TEXT_FIELDS,
    ChannelValue,
    FieldError,
    clean_channel_list,
    clean_string,
    parse_bool,
    parse_date,
)
from models import (
    Company,
    Contact,
    ContactType,
    Source,
    Staff,
)
from models.enums import ChannelKind

NAME_REQUIRED = "a first or a last name is required"


async def clean_input(
    data: dict[str, Any],
    definitions: dict[str, Any],
    *,
    creating: bool,
    current: Contact | None = None,
) -> CleanContact:
    """Validate every field of `data`; raises ValidationError with one message per field.

    1. Refuse names that are not contact fields.
    2. Clean the scalar fields: texts, yes/no flags, dates, ids of a type, source or staff.
    3. Clean the channel lists (phones normalized in the default region).
    4. Clean the observer and company id lists.
    5. Clean the custom values against their `definitions`.
    6. On create (or on update, given the `current` contact), require a first or a last name.
    7. With no error so far, check that the referenced rows exist.

    Steps 1-6 each add their problems to one `errors` map and run whatever the others found,
    so that the caller sees every problem at once.
    """
    errors: dict[str, str] = {}
    _refuse_unknown_fields(data, errors)
    out = CleanContact(
        scalars=_clean_scalars(data, errors),
        channels=_clean_channels(data, errors),
        observers=_clean_id_list(data, "observers", errors),
        companies=_clean_id_list(data, "companies", errors),
        custom=await _clean_custom_values(data, definitions, creating, errors),
    )
    if creating or current is not None:
        _require_a_name(out.scalars, current, errors)
    if errors:
        raise ValidationError(errors)
    await _check_references(out)
    return out


def _refuse_unknown_fields(data: dict[str, Any], errors: dict[str, str]) -> None:
    """Step 1."""
    for name in data:
        if name not in KNOWN_FIELDS:
            errors[name] = "is not a contact field"


def _clean_scalars(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Step 2: the scalar fields present in `data`, cleaned."""
    scalars: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, *BOOL_FIELDS, *DATE_FIELDS, *REF_FIELDS):
        if name in data:
            try:
                scalars[name] = _clean_scalar(name, data[name])
            except FieldError as exc:
                errors[name] = str(exc)
    return scalars


def _clean_scalar(name: str, value: Any) -> Any:
    """One scalar field's value, cleaned; raises FieldError."""
    if name in TEXT_FIELDS:
        return clean_string(value, TEXT_FIELDS[name], name in MULTILINE)
    if name in BOOL_FIELDS:
        return parse_bool(value)
    if name in DATE_FIELDS:
        return _clean_date(value)
    return _clean_ref(value)


def _clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    day = parse_date(value)
    if not date(1900, 1, 1) <= day <= utcnow().date():
        raise FieldError("must be between 1900 and today")
    return day


def _clean_ref(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise FieldError("must be an id")
    return int(value)


def _clean_channels(
    data: dict[str, Any], errors: dict[str, str]
) -> dict[ChannelKind, list[ChannelValue]]:
    """Step 3: the channel lists present in `data`, per kind."""
    region = config.current().default_phone_region
    return {
        kind: clean_channel_list(name, kind, data[name], region, errors)
        for name, kind in CHANNEL_FIELDS.items()
        if name in data
    }


def _clean_id_list(data: dict[str, Any], name: str, errors: dict[str, str]) -> list[int] | None:
    """Step 4: the ids in `data[name]`, each once; None when `data` leaves the list alone."""
    if name not in data:
        return None
    try:
        return _clean_ids(data[name] or [])
    except FieldError as exc:
        errors[name] = str(exc)
        return None


def _clean_ids(value: Any) -> list[int]:
    if not isinstance(value, list | tuple):
        raise FieldError("must be a list of ids")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
            raise FieldError("must be a list of ids")
        if int(item) not in ids:
            ids.append(int(item))
    return ids


async def _clean_custom_values(
    data: dict[str, Any], definitions: dict[str, Any], creating: bool, errors: dict[str, str]
) -> dict[str, list[Any]]:
    """Step 5. Runs without a "custom" key too: a create gets defaults and required checks."""
    if "custom" in data and not isinstance(data["custom"], dict):
        errors["custom"] = "must map field codes to values"
        return {}
    try:
        return await customfields.clean_values(
            definitions, data.get("custom") or {}, creating=creating
        )
    except ValidationError as exc:
        errors.update(exc.errors)
        return {}


def _require_a_name(
    scalars: dict[str, Any], current: Contact | None, errors: dict[str, str]
) -> None:
    """Step 6: the name after the change, unless a name field already has its own error."""
    first = scalars.get("first_name", current.first_name if current else None)
    last = scalars.get("last_name", current.last_name if current else None)
    if not first and not last and not {"first_name", "last_name"} & set(errors):
        errors["first_name"] = NAME_REQUIRED


async def _check_references(clean: CleanContact) -> None:
    errors: dict[str, str] = {}
    checks: tuple[tuple[str, type[Model], dict[str, Any]], ...] = (
        ("type_id", ContactType, {}),
        ("source_id", Source, {}),
        ("responsible_id", Staff, {"is_active": True}),
    )
    for name, model, extra in checks:
        ref = clean.scalars.get(name)
        if ref is not None and not await memo.once(
            ("exists", name, ref), functools.partial(model.exists, id=ref, **extra)
        ):
            errors[name] = "does not exist" if name != "responsible_id" else "is not active staff"
    if clean.observers:
        known = await Staff.filter(id__in=clean.observers, is_active=True).count()
        if known != len(clean.observers):
            errors["observers"] = "must be active staff members"
    if clean.companies:
        known = await Company.filter(id__in=clean.companies, deleted_at=None).count()
        if known != len(clean.companies):
            errors["companies"] = "must be existing companies"
    if errors:
        raise ValidationError(errors)
