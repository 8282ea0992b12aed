"""Custom fields (F3): definitions managed by admins, values validated on every contact write."""

import pytest

from crm import contacts, customfields, layout
from crm.actors import system_actor
from crm.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from models import CardPlacement, CustomField, CustomFieldValue
from models.enums import FieldType, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def test_it_creates_a_field_at_the_end_of_the_more_section(db):
    field = await customfields.create_field(
        CLI,
        {
            "code": " Shoe_Size ",
            "label": "Shoe size",
            "label_fr": "Pointure",
            "type": "integer",
            "in_filter": "yes",
            "default": "42",
        },
    )
    assert (field.code, field.label, field.label_fr, field.type, field.in_filter) == (
        "shoe_size",
        "Shoe size",
        "Pointure",
        FieldType.INTEGER,
        True,
    )
    assert field.default == [42]
    more = {s.code: s for s in await layout.card_layout()}["more"]
    assert more.fields[-1] == "uf:shoe_size"
    assert [f.code for f in await customfields.list_fields(CLI)] == ["shoe_size"]


async def test_it_reports_every_bad_definition_field(db):
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(
            CLI, {"code": "1st", "type": "colour", "required": "perhaps", "options": "a,b"}
        )
    assert caught.value.errors == {
        "code": "must start with a letter and use only a-z, 0-9 and _",
        "type": (
            "must be one of string, text, integer, decimal, boolean, date, datetime, list, url,"
            " email, phone, staff"
        ),
        "label": "is required",
        "required": "must be yes or no",
        "options": "must be a list of values",
    }
    assert await CustomField.all().count() == 0


async def test_a_bad_definition_reports_its_fields_in_a_fixed_order(db):
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(
            CLI,
            {
                "options": ["a", "a"],
                "sort": "x",
                "in_filter": "?",
                "multiple": "?",
                "required": "?",
                "label_fr": True,
                "label": "x" * 201,
                "type": "colour",
                "code": "1st",
            },
        )
    assert list(caught.value.errors) == [
        "code",
        "type",
        "label",
        "label_fr",
        "required",
        "multiple",
        "in_filter",
        "sort",
        "options",
    ]
    assert caught.value.errors["label"] == "is longer than 200 characters"
    assert caught.value.errors["label_fr"] == "must be text"
    assert caught.value.errors["sort"] == "must be a whole number"
    assert caught.value.errors["options"] == "must not repeat a value"
    await customfields.create_field(CLI, {"code": "size", "label": "Size", "type": "integer"})
    with pytest.raises(ValidationError) as caught:
        await customfields.update_field(
            CLI, "size", {"code": "width", "type": "string", "label": ""}
        )
    assert list(caught.value.errors.items()) == [
        ("type", "cannot be changed after creation"),
        ("label", "is required"),
    ]


async def test_a_list_field_needs_distinct_options_and_a_valid_default(db):
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(CLI, {"code": "tier", "label": "Tier", "type": "list"})
    assert caught.value.errors == {"options": "a list field needs at least one option"}
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(
            CLI, {"code": "tier", "label": "Tier", "type": "list", "options": ["a", "a"]}
        )
    assert caught.value.errors == {"options": "must not repeat a value"}
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(
            CLI,
            {"code": "tier", "label": "Tier", "type": "list", "options": ["a"], "default": "z"},
        )
    assert caught.value.errors == {"default": "must be one of a"}
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(
            CLI,
            {
                "code": "tier",
                "label": "Tier",
                "type": "list",
                "options": ["a", "b"],
                "default": ["a", "b"],
            },
        )
    assert caught.value.errors == {"default": "takes one value"}
    assert await CustomField.all().count() == 0


async def test_a_code_is_used_once(db):
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    with pytest.raises(ValidationError) as caught:
        await customfields.create_field(CLI, {"code": "vat", "label": "Other", "type": "text"})
    assert caught.value.errors == {"code": "is already used by another field"}


async def test_only_settings_managers_define_fields(db, make_staff):
    staff = await make_staff("Staff")
    actor = await actor_of(staff)
    with pytest.raises(PermissionDeniedError):
        await customfields.create_field(actor, {"code": "x", "label": "X", "type": "string"})
    await customfields.create_field(CLI, {"code": "x", "label": "X", "type": "string"})
    with pytest.raises(PermissionDeniedError):
        await customfields.update_field(actor, "x", {"label": "Y"})
    with pytest.raises(PermissionDeniedError):
        await customfields.delete_field(actor, "x")
    admin = await actor_of(await make_staff("Admin", admin=True))
    await customfields.update_field(admin, "x", {"label": "Y"})
    assert (await CustomField.get(code="x")).label == "Y"


async def test_the_type_and_code_cannot_change(db):
    await customfields.create_field(CLI, {"code": "size", "label": "Size", "type": "integer"})
    with pytest.raises(ValidationError) as caught:
        await customfields.update_field(CLI, "size", {"type": "string"})
    assert caught.value.errors == {"type": "cannot be changed after creation"}
    with pytest.raises(ValidationError) as caught:
        await customfields.update_field(CLI, "size", {"code": "width"})
    assert caught.value.errors == {"code": "cannot be changed after creation"}
    stored = await CustomField.get(code="size")
    assert stored.type == FieldType.INTEGER


async def test_it_updates_label_flags_options_and_default(db):
    await customfields.create_field(
        CLI, {"code": "tier", "label": "Tier", "type": "list", "options": ["a", "b"]}
    )
    field = await customfields.update_field(
        CLI,
        "tier",
        {
            "label": "Level",
            "required": True,
            "options": [{"key": "a", "label": "Gold"}, {"key": "c", "label": "Silver"}],
            "default": "silver",
            "sort": "5",
        },
    )
    assert (field.label, field.required, field.default, field.sort) == ("Level", True, ["c"], 5)
    card = await contacts.create_contact(CLI, {"last_name": "Doe"})
    assert card.custom == {"tier": ["c"]}
    with pytest.raises(ValidationError) as caught:
        await customfields.update_field(CLI, "tier", {"label": " "})
    assert caught.value.errors == {"label": "is required"}
    with pytest.raises(ValidationError) as caught:
        await customfields.update_field(CLI, "tier", {"options": []})
    assert caught.value.errors == {"options": "a list field needs at least one option"}
    with pytest.raises(ValidationError) as caught:
        # Dropping the option the default points at would leave an invalid default.
        await customfields.update_field(CLI, "tier", {"options": ["a"]})
    assert caught.value.errors == {"default": "must be one of a"}
    with pytest.raises(NotFoundError):
        await customfields.update_field(CLI, "nope", {"label": "X"})
    assert (await CustomField.get(code="tier")).label == "Level"


async def test_a_field_holding_several_values_stays_multiple(db):
    await customfields.create_field(
        CLI, {"code": "tags", "label": "Tags", "type": "string", "multiple": True}
    )
    card = await contacts.create_contact(CLI, {"last_name": "Doe", "custom": {"tags": ["x", "y"]}})
    assert card.custom == {"tags": ["x", "y"]}
    with pytest.raises(ConflictError):
        await customfields.update_field(CLI, "tags", {"multiple": False})
    assert (await CustomField.get(code="tags")).multiple is True


async def test_deleting_a_field_hides_it_and_keeps_its_values(db):
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    card = await contacts.create_contact(CLI, {"last_name": "Doe", "custom": {"vat": "FR1"}})
    await customfields.delete_field(CLI, "vat")
    assert await customfields.list_fields(CLI) == []
    assert not await CardPlacement.exists(field="uf:vat")
    assert all("uf:vat" not in s.fields for s in await layout.card_layout())
    assert await CustomFieldValue.filter(contact_id=card.id).count() == 1
    assert (await contacts.get_contact(CLI, card.id)).custom == {}
    with pytest.raises(ValidationError) as caught:
        await contacts.update_contact(CLI, card.id, {"custom": {"vat": "FR2"}}, card.version)
    assert caught.value.errors == {"custom.vat": "is not a custom field"}
    with pytest.raises(NotFoundError):
        await customfields.delete_field(CLI, "vat")
    with pytest.raises(NotFoundError):
        await customfields.update_field(CLI, "vat", {"label": "X"})


async def test_a_required_field_added_later_applies_to_edits_that_touch_it(db):
    card = await contacts.create_contact(CLI, {"last_name": "Doe"})
    await customfields.create_field(
        CLI, {"code": "vat", "label": "VAT", "type": "string", "required": True}
    )
    # Editing other fields of an existing contact is still possible...
    edited = await contacts.update_contact(CLI, card.id, {"first_name": "Jo"}, card.version)
    # ...but the required field cannot be emptied explicitly.
    with pytest.raises(ValidationError) as caught:
        await contacts.update_contact(CLI, card.id, {"custom": {"vat": ""}}, edited.version)
    assert caught.value.errors == {"custom.vat": "is required"}


async def test_fields_are_listed_by_sort_then_creation(db):
    for code, sort in (("b", 20), ("a", 10), ("c", 20)):
        await customfields.create_field(
            CLI, {"code": code, "label": code.upper(), "type": "string", "sort": sort}
        )
    assert [f.code for f in await customfields.list_fields(CLI)] == ["a", "b", "c"]


# --- by id, and codes derived from labels (the bot's screens) -------------------------------


async def test_reading_and_changing_fields_needs_the_settings_right(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    field = await customfields.create_field(CLI, {"label": "Budget", "type": "decimal"})
    calls = [
        customfields.list_fields(plain),
        customfields.get_field(plain, field.id),
        customfields.create_field(plain, {"label": "Other", "type": "string"}),
        customfields.update_field(plain, field.id, {"required": True}),
        customfields.delete_field(plain, field.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            await call
    assert (await CustomField.get(id=field.id)).is_active
    assert not (await CustomField.get(id=field.id)).required


async def test_a_custom_fields_code_comes_from_its_label_and_stays_unique(db):
    first = await customfields.create_field(
        CLI, {"label": "Size", "type": "list", "options": ["S", "M"]}
    )
    await customfields.delete_field(CLI, first.id)
    second = await customfields.create_field(
        CLI,
        {
            "label": "Size",
            "type": "list",
            "options": ["S", "M", "L"],
            "multiple": True,
            "in_filter": True,
        },
    )
    assert (first.code, second.code) == ("size", "size_2")
    assert (second.options, second.multiple, second.in_filter) == (["S", "M", "L"], True, True)
    # A yes/no field holds one value: the bot never asks, and the core refuses it.
    with pytest.raises(ValidationError):
        await customfields.create_field(CLI, {"label": "VIP", "type": "boolean", "multiple": True})
    with pytest.raises(ValidationError):
        await customfields.create_field(CLI, {"label": "Empty list", "type": "list", "options": []})


async def test_a_custom_field_is_changed_and_deleted_by_id(db):
    field = await customfields.create_field(CLI, {"label": "Budget", "type": "decimal"})
    changed = await customfields.update_field(CLI, field.id, {"label": "Yearly", "in_filter": True})
    assert (changed.label, changed.in_filter) == ("Yearly", True)
    with pytest.raises(ValidationError):
        await customfields.update_field(CLI, field.id, {"type": "string"})
    deleted = await customfields.delete_field(CLI, field.id)
    assert deleted.label == "Yearly"
    assert [f.code for f in await customfields.list_fields(CLI)] == []
    with pytest.raises(NotFoundError):
        await customfields.get_field(CLI, field.id)
