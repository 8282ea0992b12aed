"""Editing a web form's fields one at a time, rotating its API key and finding it by id (the
use cases behind the settings screens)."""

import pytest

from crm import customfields
from crm.actors import system_actor
from crm.errors import NotFoundError, PermissionDeniedError, ValidationError
from crm.webforms import definitions
from models import HistoryEntry, WebForm
from models.enums import Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _form(slug: str = "contact") -> int:
    return (await WebForm.get(slug=slug)).id


def _names(details: definitions.FormDetails) -> list[str]:
    return [field.name for field in details.form.fields]


async def test_a_form_is_found_by_id_with_its_place_among_the_forms(db):
    await definitions.create_form(CLI, {"slug": "a-first", "title": "First"})
    await definitions.create_form(CLI, {"slug": "zz-last", "title": "Last"})
    details, position = await definitions.form_by_id(CLI, await _form())
    assert (details.slug, position) == ("contact", 1)
    _, position = await definitions.form_by_id(CLI, await _form("zz-last"))
    assert position == 2
    with pytest.raises(NotFoundError):
        await definitions.form_by_id(CLI, 999999)


async def test_fields_are_added_for_a_target_a_custom_field_or_nothing(db):
    form_id = await _form()
    await customfields.create_field(CLI, {"code": "budget", "label": "Budget", "type": "decimal"})
    details = await definitions.add_form_field(CLI, form_id, {"en": "Company"}, "company")
    details = await definitions.add_form_field(CLI, form_id, {"en": "Budget"}, "custom.budget")
    number = definitions.next_answer_number(_names(details))
    details = await definitions.add_form_field(
        CLI, form_id, {"en": f"Answer {number}"}, name=f"answer_{number}"
    )
    details = await definitions.add_form_field(CLI, form_id, {"en": "Another"})
    assert _names(details)[-4:] == ["company", "budget", "answer_1", "answer_2"]
    company, budget, answer, _ = details.form.fields[-4:]
    assert (company.type, company.maps_to, company.required) == ("text", "company", False)
    assert (budget.type, budget.maps_to) == ("text", "custom.budget")
    assert (answer.type, answer.maps_to, answer.label) == ("text", None, {"en": "Answer 1"})
    # A target fed twice, or a custom field that does not exist, is refused by the rules.
    with pytest.raises(ValidationError):
        await definitions.add_form_field(CLI, form_id, {"en": "Company again"}, "company")
    with pytest.raises(ValidationError):
        await definitions.add_form_field(CLI, form_id, {"en": "Gone"}, "custom.gone")
    assert len((await definitions.form_by_id(CLI, form_id))[0].form.fields) == 8


async def test_a_taken_input_name_gets_a_number(db):
    form_id = await _form()
    details = await definitions.add_form_field(CLI, form_id, {"en": "Extra"}, name="email")
    assert _names(details)[-1] == "email_2"


async def test_a_field_is_changed_by_its_name(db):
    form_id = await _form()
    details = await definitions.update_form_field(
        CLI,
        form_id,
        "phone",
        required=True,
        label={"fr": "Portable"},
        placeholder={"en": "+33…", "fr": "+33…"},
    )
    phone = details.form.fields[1]
    assert phone.required
    assert phone.label == {"en": "Phone", "fr": "Portable"}
    assert phone.placeholder == {"en": "+33…", "fr": "+33…"}
    details = await definitions.update_form_field(CLI, form_id, "phone", placeholder={"fr": None})
    assert details.form.fields[1].placeholder == {"en": "+33…"}

    details = await definitions.update_form_field(
        CLI, form_id, "message", field_type="text", options=None
    )
    assert details.form.fields[3].type == "text"
    with pytest.raises(ValidationError):  # a phone typed in a date picker
        await definitions.update_form_field(CLI, form_id, "phone", field_type="date")
    with pytest.raises(NotFoundError):
        await definitions.update_form_field(CLI, form_id, "nope", required=True)


async def test_a_field_becomes_a_choice_list_and_back(db):
    form_id = await _form()
    details = await definitions.add_form_field(CLI, form_id, {"en": "Size"})
    name = _names(details)[-1]
    details = await definitions.update_form_field(
        CLI, form_id, name, field_type="select", options=["S", "M", "L"]
    )
    assert (details.form.fields[-1].type, details.form.fields[-1].options) == (
        "select",
        ["S", "M", "L"],
    )
    details = await definitions.update_form_field(CLI, form_id, name, field_type="text")
    assert (details.form.fields[-1].type, details.form.fields[-1].options) == ("text", [])


async def test_a_field_moves_and_is_removed(db):
    form_id = await _form()
    details = await definitions.move_form_field(CLI, form_id, "email", -1)
    assert _names(details) == ["name", "email", "phone", "message"]
    details = await definitions.move_form_field(CLI, form_id, "name", -1)
    assert _names(details) == ["name", "email", "phone", "message"]
    details = await definitions.remove_form_field(CLI, form_id, "phone")
    assert _names(details) == ["name", "email", "message"]
    # The only field that feeds the name stays.
    with pytest.raises(ValidationError):
        await definitions.remove_form_field(CLI, form_id, "name")
    with pytest.raises(NotFoundError):
        await definitions.remove_form_field(CLI, form_id, "phone")


async def test_field_changes_are_audited_like_any_form_change(db):
    form_id = await _form()
    await definitions.update_form_field(CLI, form_id, "phone", required=True)
    entries = await HistoryEntry.filter(entity="web_form", entity_id=form_id).values_list(
        "field", flat=True
    )
    assert entries == ["fields_spec"]


async def test_an_api_key_is_rotated_and_shown_once(db):
    form_id = await _form()
    details, key = await definitions.rotate_api_key(CLI, form_id)
    assert details.form.has_api_key and len(key) >= 40
    assert await definitions.verify_api_key("contact", key)
    _, second = await definitions.rotate_api_key(CLI, form_id)
    assert second != key
    assert not await definitions.verify_api_key("contact", key)
    assert await definitions.verify_api_key("contact", second)


async def test_field_editing_needs_the_settings_right(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    form_id = await _form()
    before = (await WebForm.get(id=form_id)).fields_spec
    calls = [
        definitions.form_by_id(plain, form_id),
        definitions.add_form_field(plain, form_id, {"en": "Extra"}),
        definitions.update_form_field(plain, form_id, "phone", required=True),
        definitions.move_form_field(plain, form_id, "phone", 1),
        definitions.remove_form_field(plain, form_id, "phone"),
        definitions.rotate_api_key(plain, form_id),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            await call
    form = await WebForm.get(id=form_id)
    assert form.fields_spec == before
    assert form.api_key_hash is None
