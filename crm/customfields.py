"""Custom fields (F3): definitions managed by admins, values validated on every contact write."""

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm import config
from crm.actors import Actor
from crm.errors import ConflictError, NotFoundError, ValidationError
from crm.permissions import require_settings
from crm.rules.codes import slug, unique_code
from crm.rules.fieldref import FieldRef
from crm.rules.fields import FieldError, clean_custom_value, clean_string, parse_bool
from models import CardPlacement, CardSection, CustomField, CustomFieldValue, Staff
from models.enums import FieldType

COLUMN = {
    FieldType.STRING: "value_text",
    FieldType.TEXT: "value_text",
    FieldType.URL: "value_text",
    FieldType.EMAIL: "value_text",
    FieldType.PHONE: "value_text",
    FieldType.LIST: "value_text",
    FieldType.INTEGER: "value_int",
    FieldType.STAFF: "value_int",
    FieldType.DECIMAL: "value_decimal",
    FieldType.BOOLEAN: "value_bool",
    FieldType.DATE: "value_date",
    FieldType.DATETIME: "value_datetime",
}
CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A custom field as callers name it: by id (a bot button: ids fit in callback data) or by code
# (the CLI, imports, web form specs). Every use case below takes either.
FieldKey = int | str


def _key_filter(field: FieldKey) -> dict[str, Any]:
    if isinstance(field, int) and not isinstance(field, bool):
        return {"id": field}
    return {"code": str(field)}


def _not_found(field: FieldKey) -> NotFoundError:
    if isinstance(field, int) and not isinstance(field, bool):
        return NotFoundError(f"custom field #{field} does not exist")
    return NotFoundError(f"custom field {field!r} does not exist")


def _empty(value: Any) -> bool:
    # Blank text counts as empty, so a required field filled with spaces says "is required".
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _json_safe(value: Any) -> Any:
    """A typed value as JSON can hold it (dates and decimals as text; they parse back)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


async def active_fields() -> dict[str, CustomField]:
    return {f.code: f for f in await CustomField.filter(is_active=True).order_by("sort", "id")}


async def clean_values(
    definitions: dict[str, CustomField], raw: dict[str, Any], *, creating: bool
) -> dict[str, list[Any]]:
    """Validate custom values by type; on create apply defaults and enforce required fields.

    1. Clean each given value by its field's type.
    2. On create, give the fields not mentioned their default.
    3. Require a value in required fields (those given, or all on create).
    4. Check that staff fields name existing staff members.

    Returns code -> list of typed values (an empty list clears the field).
    Raises ValidationError keyed `custom.<code>`, in the order of those steps.
    """
    errors: dict[str, str] = {}
    region = config.current().default_phone_region
    cleaned = _clean_given(definitions, raw, region, errors)
    if creating:
        _apply_defaults(definitions, raw, region, cleaned, errors)
    _require_values(definitions, cleaned, creating, errors)
    await _check_staff(definitions, cleaned, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_given(
    definitions: dict[str, CustomField],
    raw: dict[str, Any],
    region: str | None,
    errors: dict[str, str],
) -> dict[str, list[Any]]:
    cleaned: dict[str, list[Any]] = {}
    for code, value in raw.items():
        key = FieldRef(code).data_key
        definition = definitions.get(code)
        if definition is None:
            errors[key] = "is not a custom field"
            continue
        values = value if isinstance(value, list | tuple) else [value]
        values = [v for v in values if not _empty(v)]
        if len(values) > 1 and not definition.multiple:
            errors[key] = "takes one value"
            continue
        typed: list[Any] = []
        for item in values:
            try:
                typed.append(clean_custom_value(definition.type, item, definition.options, region))
            except FieldError as exc:
                errors[key] = str(exc)
                break
        cleaned[code] = typed
    return cleaned


def _apply_defaults(
    definitions: dict[str, CustomField],
    raw: dict[str, Any],
    region: str | None,
    cleaned: dict[str, list[Any]],
    errors: dict[str, str],
) -> None:
    for code, definition in definitions.items():
        if code in raw or _empty(definition.default):
            continue
        default = definition.default
        try:
            cleaned[code] = [
                clean_custom_value(definition.type, d, definition.options, region)
                for d in (default if isinstance(default, list) else [default])
            ]
        except FieldError:
            errors[FieldRef(code).data_key] = "has an invalid default value"


def _require_values(
    definitions: dict[str, CustomField],
    cleaned: dict[str, list[Any]],
    creating: bool,
    errors: dict[str, str],
) -> None:
    for code, definition in definitions.items():
        key = FieldRef(code).data_key
        present = code in cleaned or creating
        if definition.required and present and not cleaned.get(code) and key not in errors:
            errors[key] = "is required"


async def _check_staff(
    definitions: dict[str, CustomField], cleaned: dict[str, list[Any]], errors: dict[str, str]
) -> None:
    staff_codes = [code for code in cleaned if definitions[code].type == FieldType.STAFF]
    staff_ids = {v for code in staff_codes for v in cleaned[code]}
    if not staff_ids:
        return
    known = set(await Staff.filter(id__in=list(staff_ids)).values_list("id", flat=True))
    for code in staff_codes:
        if any(v not in known for v in cleaned[code]):
            errors[FieldRef(code).data_key] = "must be an existing staff member"


async def read_values(contact_id: int) -> dict[str, list[Any]]:
    """A contact's custom values as code -> list of typed values, active fields only.

    A deleted field's values stay in the database (history, undo) but leave the card.
    """
    result: dict[str, list[Any]] = {}
    rows = await CustomFieldValue.filter(contact_id=contact_id, field__is_active=True).order_by(
        "field_id", "position"
    )
    if not rows:
        return result
    fields = {f.id: f for f in await CustomField.filter(id__in={r.field_id for r in rows})}
    for row in rows:
        field = fields[row.field_id]
        result.setdefault(field.code, []).append(getattr(row, COLUMN[field.type]))
    return result


async def write_values(
    contact_id: int, definitions: dict[str, CustomField], values: dict[str, list[Any]]
) -> None:
    """Replace the values of the given fields (inside the caller's transaction)."""
    for code, typed in values.items():
        definition = definitions[code]
        await CustomFieldValue.filter(contact_id=contact_id, field_id=definition.id).delete()
        if typed:
            await CustomFieldValue.bulk_create(
                [
                    CustomFieldValue(
                        field_id=definition.id,
                        contact_id=contact_id,
                        position=i,
                        **{COLUMN[definition.type]: v},
                    )
                    for i, v in enumerate(typed)
                ]
            )


def _clean_definition(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """A field definition's given settings checked; raises ValidationError with every problem,
    in this order: code and type (set on create, fixed after), labels, flags, sort, options."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if creating:
        _clean_identity(data, out, errors)
    elif "type" in data or "code" in data:
        errors["type" if "type" in data else "code"] = "cannot be changed after creation"
    for name in ("label", "label_fr"):
        if name in data:
            _clean_setting(out, errors, name, lambda v: clean_string(v, 200), data[name])
    if (creating or "label" in out) and not out.get("label") and "label" not in errors:
        errors["label"] = "is required"
    for name in ("required", "multiple", "in_filter"):
        if name in data:
            _clean_setting(out, errors, name, parse_bool, data[name])
    if "sort" in data:
        _clean_setting(out, errors, "sort", _sort, data["sort"])
    if "options" in data:
        _clean_setting(out, errors, "options", _options, data["options"])
    if "default" in data:
        out["default"] = data["default"]  # checked against the type by _clean_default
    if errors:
        raise ValidationError(errors)
    return out


def _clean_identity(data: dict[str, Any], out: dict[str, Any], errors: dict[str, str]) -> None:
    """A new field's code and type."""
    code = str(data.get("code", "")).strip().lower()
    if not CODE.match(code):
        errors["code"] = "must start with a letter and use only a-z, 0-9 and _"
    out["code"] = code
    try:
        out["type"] = FieldType(str(data.get("type", "")))
    except ValueError:
        errors["type"] = f"must be one of {', '.join(t.value for t in FieldType)}"


def _clean_setting(
    out: dict[str, Any],
    errors: dict[str, str],
    name: str,
    clean: Callable[[Any], Any],
    value: Any,
) -> None:
    """One setting: its clean value to `out`, or its problem to `errors`."""
    try:
        out[name] = clean(value)
    except FieldError as exc:
        errors[name] = str(exc)


def _sort(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError("must be a whole number") from None


def _options(value: Any) -> list[Any]:
    """A list field's options: values, or {"key": ..., "label": ...}, no key twice."""
    if not isinstance(value, list) or not all(
        isinstance(o, str) or (isinstance(o, dict) and "key" in o) for o in value
    ):
        raise FieldError("must be a list of values")
    keys = [str(o["key"]) if isinstance(o, dict) else o for o in value]
    if len(set(keys)) != len(keys):
        raise FieldError("must not repeat a value")
    return value


async def _derived_code(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with a code derived from its label when it has no `code` key (unique, a-z0-9_)."""
    if "code" in data:
        return data
    label = data.get("label")
    base = slug(label if isinstance(label, str) else "", "field")
    # Retired fields keep their code: their values stay in the history under it.
    taken = set(await CustomField.all().values_list("code", flat=True))
    return {**data, "code": unique_code(base, taken)}


async def create_field(actor: Actor, data: dict[str, Any]) -> CustomField:
    """Define a custom field and place it at the end of the 'more' card section. Without a
    `code` (the bot asks only for a label), the code is derived from the label.

    Raises PermissionDeniedError or ValidationError (per field); returns the new field.
    """
    require_settings(actor)
    cleaned = _clean_definition(await _derived_code(data), creating=True)
    if cleaned["type"] == FieldType.LIST and not cleaned.get("options"):
        raise ValidationError({"options": "a list field needs at least one option"})
    if cleaned["type"] != FieldType.LIST and cleaned.get("options"):
        raise ValidationError({"options": "only a list field has options"})
    if cleaned["type"] == FieldType.BOOLEAN and cleaned.get("multiple"):
        raise ValidationError({"multiple": "a yes/no field holds one value"})
    cleaned["default"] = _clean_default(
        cleaned["type"],
        cleaned.get("default"),
        cleaned.get("options", []),
        cleaned.get("multiple", False),
    )
    code_taken = ValidationError({"code": "is already used by another field"})
    try:
        async with in_transaction():
            if await CustomField.exists(code=cleaned["code"]):
                raise code_taken
            field = await CustomField.create(**cleaned)
            section = await CardSection.filter(code="more").first() or await CardSection.first()
            if section is not None:
                await CardPlacement.create(
                    section=section, field=FieldRef(field.code).card_field, sort=1000 + field.id
                )
    except IntegrityError as exc:
        # Two admins creating the same code at once: the unique index decides, same message.
        raise code_taken from exc
    return field


def _clean_default(
    field_type: FieldType, default: Any, options: list[Any], multiple: bool
) -> list[Any] | None:
    """The default as a JSON list of valid values, or None; raises ValidationError.

    Always a list: a JSON column takes a bare string as already-encoded JSON and refuses it.
    """
    items = default if isinstance(default, list | tuple) else [default]
    items = [d for d in items if not _empty(d)]
    if not items:
        return None
    if len(items) > 1 and not multiple:
        raise ValidationError({"default": "takes one value"})
    region = config.current().default_phone_region
    try:
        return [_json_safe(clean_custom_value(field_type, d, options, region)) for d in items]
    except FieldError as exc:
        raise ValidationError({"default": str(exc)}) from exc


async def get_field(actor: Actor, field: FieldKey) -> CustomField:
    """An active custom field by id or code; raises PermissionDeniedError or NotFoundError."""
    require_settings(actor)
    found = await CustomField.get_or_none(**_key_filter(field), is_active=True)
    if found is None:
        raise _not_found(field)
    return found


async def update_field(actor: Actor, field_key: FieldKey, data: dict[str, Any]) -> CustomField:
    """Change a field's label, flags, options or default; its type is immutable.

    Raises PermissionDeniedError, NotFoundError, ValidationError (a type or code change
    included) or ConflictError (making single a field that holds several values).
    """
    require_settings(actor)
    cleaned = _clean_definition(data, creating=False)
    async with in_transaction():
        field = await CustomField.get_or_none(**_key_filter(field_key), is_active=True)
        if field is None:
            raise _not_found(field_key)
        options = cleaned.get("options", field.options)
        if field.type == FieldType.LIST and not options:
            raise ValidationError({"options": "a list field needs at least one option"})
        if {"default", "options", "multiple"} & set(cleaned):
            # The default must still be valid under the new options and multiplicity.
            cleaned["default"] = _clean_default(
                field.type,
                cleaned.get("default", field.default),
                options,
                cleaned.get("multiple", field.multiple),
            )
        if field.multiple and cleaned.get("multiple") is False:
            many = await CustomFieldValue.filter(field_id=field.id, position__gt=0).exists()
            if many:
                raise ConflictError("some contacts hold several values; it must stay multiple")
        await CustomField.filter(id=field.id).update(**cleaned)
        await field.refresh_from_db()
    return field


async def delete_field(actor: Actor, field_key: FieldKey) -> CustomField:
    """Retire a field by id or code: hidden from cards and forms; values are kept for the
    history. Raises PermissionDeniedError or NotFoundError; returns the field as it was."""
    require_settings(actor)
    async with in_transaction():
        field = await CustomField.get_or_none(**_key_filter(field_key), is_active=True)
        if field is None:
            raise _not_found(field_key)
        updated = await CustomField.filter(id=field.id, is_active=True).update(is_active=False)
        if not updated:
            raise _not_found(field_key)
        await CardPlacement.filter(field=FieldRef(field.code).card_field).delete()
    return field


async def list_fields(actor: Actor) -> list[CustomField]:
    """The active custom fields in order (settings right)."""
    require_settings(actor)
    return list((await active_fields()).values())
