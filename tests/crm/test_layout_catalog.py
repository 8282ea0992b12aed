"""Card layout (F5) and the contact type and source catalogues (F2)."""

import pytest

from crm import catalog, contacts, customfields, layout
from crm.actors import system_actor
from crm.errors import NotFoundError, PermissionDeniedError, ValidationError
from crm.setup import ensure_defaults
from models import (
    CardPlacement,
    CardSection,
    Contact,
    ContactType,
    Department,
    HistoryEntry,
    Role,
    Source,
    Staff,
)
from models.enums import HistoryKind, Level
from tests.conftest import actor_of

CLI = system_actor("cli")


async def _sections() -> dict[str, tuple[list[str], list[str]]]:
    return {s.code: (s.fields, s.hidden) for s in await layout.card_layout()}


# --- layout ---------------------------------------------------------------------------------


async def test_the_default_layout_has_two_sections_in_order(db):
    sections = await layout.card_layout()
    assert [(s.code, s.title, s.title_fr) for s in sections] == [
        ("about", "About contact", "À propos du contact"),
        ("more", "More", "Plus"),
    ]
    assert sections[0].fields == layout.DEFAULT_LAYOUT["about"]
    assert sections[1].fields == layout.DEFAULT_LAYOUT["more"]
    assert sections[0].hidden == sections[1].hidden == []


async def test_the_defaults_do_not_undo_an_admins_changes(db):
    await layout.place_field(CLI, "birthdate", "about", 0)
    await layout.set_hidden(CLI, "position", True)
    await ensure_defaults()
    about, hidden = (await _sections())["about"]
    assert about[0] == "birthdate"
    assert hidden == ["position"]


async def test_it_moves_a_field_between_sections_at_a_position(db):
    await layout.place_field(CLI, "birthdate", "about", 1)
    sections = await _sections()
    assert sections["about"][0][:3] == ["honorific", "birthdate", "first_name"]
    assert "birthdate" not in sections["more"][0]
    # Within a section, and past the end.
    await layout.place_field(CLI, "honorific", "about", 99)
    assert (await _sections())["about"][0][-1] == "honorific"
    await layout.place_field(CLI, "honorific", "about", -5)
    assert (await _sections())["about"][0][0] == "honorific"


async def test_it_places_custom_fields_and_refuses_unknown_ones(db):
    await customfields.create_field(CLI, {"code": "vat", "label": "VAT", "type": "string"})
    await layout.place_field(CLI, "uf:vat", "about", 0)
    assert (await _sections())["about"][0][0] == "uf:vat"
    with pytest.raises(ValidationError) as caught:
        await layout.place_field(CLI, "uf:nope", "about", 0)
    assert caught.value.errors == {"field": "is not a card field"}
    with pytest.raises(ValidationError):
        await layout.place_field(CLI, "search_text", "about", 0)
    with pytest.raises(NotFoundError):
        await layout.place_field(CLI, "birthdate", "nowhere", 0)


async def test_it_hides_and_shows_fields_but_never_the_names(db):
    await layout.set_hidden(CLI, "utm_source", True)
    fields, hidden = (await _sections())["more"]
    assert "utm_source" not in fields
    assert hidden == ["utm_source"]
    await layout.set_hidden(CLI, "utm_source", False)
    assert (await _sections())["more"][1] == []
    with pytest.raises(ValidationError) as caught:
        await layout.set_hidden(CLI, "last_name", True)
    assert caught.value.errors == {"field": "names cannot be hidden"}
    with pytest.raises(NotFoundError):
        await layout.set_hidden(CLI, "nope", True)


async def test_it_adds_sections_after_the_others(db):
    section = await layout.add_section(CLI, "  Billing ", "Facturation", code="billing")
    assert (section.code, section.title) == ("billing", "Billing")
    await layout.place_field(CLI, "comment", "billing", 0)
    sections = await layout.card_layout()
    assert [s.code for s in sections] == ["about", "more", "billing"]
    assert sections[-1].fields == ["comment"]
    with pytest.raises(ValidationError) as caught:
        await layout.add_section(CLI, "Again", code="billing")
    assert caught.value.errors == {"code": "is already used"}
    with pytest.raises(ValidationError) as caught:
        await layout.add_section(CLI, "Fine title", code="bad code")
    assert caught.value.errors == {"code": "must be a simple identifier"}
    with pytest.raises(ValidationError) as caught:
        await layout.add_section(CLI, " ", code="fine")
    assert caught.value.errors == {"title": "is required"}
    with pytest.raises(ValidationError) as caught:
        await layout.add_section(CLI, "x" * 201, code="fine")
    assert caught.value.errors == {"title": "is longer than 200 characters"}


async def test_only_settings_managers_change_the_layout(db, make_staff):
    actor = await actor_of(await make_staff("Staff"))
    with pytest.raises(PermissionDeniedError):
        await layout.place_field(actor, "birthdate", "about", 0)
    with pytest.raises(PermissionDeniedError):
        await layout.set_hidden(actor, "birthdate", True)
    with pytest.raises(PermissionDeniedError):
        await layout.add_section(actor, "X", code="x")
    assert await CardPlacement.filter(hidden=True).count() == 0


# --- catalog --------------------------------------------------------------------------------


async def test_types_are_created_renamed_and_reordered(db):
    lead = await catalog.create_type(CLI, "  Lead ")
    assert [t.name for t in await catalog.list_types()] == ["Client", "Supplier", "Partner", "Lead"]
    await catalog.rename_type(CLI, lead.id, "Prospect")
    ids = {t.name: t.id for t in await catalog.list_types()}
    await catalog.reorder_types(CLI, [ids["Prospect"], ids["Partner"], ids["Client"]])
    names = [t.name for t in await catalog.list_types()]
    assert names[:3] == ["Prospect", "Partner", "Client"]
    with pytest.raises(ValidationError) as caught:
        await catalog.create_type(CLI, "  ")
    assert caught.value.errors == {"name": "is required"}
    with pytest.raises(ValidationError) as caught:
        await catalog.rename_type(CLI, lead.id, "x" * 101)
    assert caught.value.errors == {"name": "is longer than 100 characters"}
    with pytest.raises(NotFoundError):
        await catalog.rename_type(CLI, 9999, "X")


async def test_deleting_a_type_in_use_asks_where_its_contacts_go(db, make_staff):
    ids = {t.name: t.id for t in await catalog.list_types()}
    alive = await contacts.create_contact(CLI, {"last_name": "A", "type_id": ids["Supplier"]})
    binned = await contacts.create_contact(CLI, {"last_name": "B", "type_id": ids["Supplier"]})
    await contacts.delete_contact(CLI, binned.id)
    with pytest.raises(ValidationError) as caught:
        await catalog.delete_type(CLI, ids["Supplier"])
    assert caught.value.errors == {"move_to": "2 contacts use this type; choose where they go"}
    for target in (ids["Supplier"], 9999):
        with pytest.raises(ValidationError) as caught:
            await catalog.delete_type(CLI, ids["Supplier"], move_to=target)
        assert caught.value.errors == {"move_to": "must be another existing type"}
    assert await ContactType.exists(id=ids["Supplier"])

    admin = await actor_of(await make_staff("Admin", admin=True))
    moved = await catalog.delete_type(admin, ids["Supplier"], move_to=ids["Partner"])
    assert moved == 2
    assert not await ContactType.exists(id=ids["Supplier"])
    # Deleted contacts move too (they can be restored), and each move is in their history.
    assert set(
        await Contact.filter(id__in=[alive.id, binned.id]).values_list("type_id", flat=True)
    ) == {ids["Partner"]}
    card = await contacts.get_contact(CLI, alive.id)
    assert (card.type_name, card.version) == ("Partner", alive.version + 1)
    entry = await HistoryEntry.filter(entity_id=alive.id, kind=HistoryKind.CHANGED).get()
    assert (entry.field, entry.before, entry.after, entry.actor_label) == (
        "type_id",
        str(ids["Supplier"]),
        str(ids["Partner"]),
        "Admin",
    )


async def test_an_unused_type_is_deleted_without_a_target(db):
    lead = await catalog.create_type(CLI, "Lead")
    assert await catalog.delete_type(CLI, lead.id) == 0
    assert "Lead" not in [t.name for t in await catalog.list_types()]
    with pytest.raises(NotFoundError):
        await catalog.delete_type(CLI, lead.id)


async def test_sources_are_listed_and_created(db, make_staff):
    await catalog.create_source(CLI, "Trade fair")
    assert [s.name for s in await catalog.list_sources()][-1] == "Trade fair"
    actor = await actor_of(await make_staff("Staff"))
    with pytest.raises(PermissionDeniedError):
        await catalog.create_source(actor, "X")
    with pytest.raises(PermissionDeniedError):
        await catalog.delete_type(actor, (await catalog.list_types())[0].id)


async def test_sources_are_renamed_reordered_and_removed_like_types(db):
    web, call = await Source.get(name="Website"), await Source.get(name="Call")
    card = await contacts.create_contact(
        CLI, {"first_name": "Src", "last_name": "User", "source_id": web.id}
    )

    await catalog.rename_source(CLI, web.id, "  Site web ")
    await catalog.reorder_sources(CLI, [web.id])
    with pytest.raises(ValidationError) as caught:
        await catalog.delete_source(CLI, web.id)
    assert caught.value.errors == {"move_to": "1 contacts use this source; choose where they go"}
    moved = await catalog.delete_source(CLI, web.id, move_to=call.id)

    assert moved == 1
    assert (await catalog.list_sources())[0].name == "Call"
    stored = await Contact.get(id=card.id)
    assert (stored.source_id, stored.version) == (call.id, card.version + 1)
    entry = await HistoryEntry.filter(entity="contact", entity_id=card.id, field="source_id").get()
    assert (entry.before, entry.after) == (str(web.id), str(call.id))
    with pytest.raises(NotFoundError):
        await catalog.rename_source(CLI, web.id, "Gone")


# --- the settings screens: usage, moves by one step, placements by id -----------------------


async def test_the_settings_views_and_moves_need_the_settings_right(db, make_staff):
    plain = await actor_of(await make_staff("Plain", level=Level.ALL))
    client = await ContactType.get(name="Client")
    placement = await CardPlacement.get(field="position")
    calls = [
        catalog.settings_overview(plain),
        catalog.type_usage(plain),
        catalog.get_type(plain, client.id),
        catalog.move_type(plain, client.id, 1),
        layout.layout_view(plain),
        layout.move_field(plain, placement.id, -1),
        layout.move_field_to(plain, placement.id, placement.section_id),
        layout.set_hidden(plain, placement.id, True),
        layout.add_section(plain, "Extra"),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            await call
    assert not (await CardPlacement.get(id=placement.id)).hidden
    assert not await CardSection.exists(title="Extra")


async def test_the_overview_counts_what_the_menu_shows(db, make_staff):
    await make_staff("Bob")
    await make_staff("Gone", active=False)
    await Department.create(name="Sales")
    overview = await catalog.settings_overview(CLI)
    assert (overview.types, overview.fields, overview.staff, overview.departments) == (3, 0, 1, 1)
    assert overview.roles == await Role.all().count()
    assert await Contact.all().count() == 0
    assert await Staff.all().count() == 2


async def test_types_are_listed_in_order_with_their_use(db):
    supplier = await ContactType.get(name="Supplier")
    await contacts.create_contact(CLI, {"first_name": "A", "type_id": supplier.id})
    await contacts.create_contact(CLI, {"first_name": "B", "type_id": supplier.id})
    types = await catalog.type_usage(CLI)
    assert [(u.name, u.contacts, u.position, u.total) for u in types] == [
        ("Client", 0, 1, 3),
        ("Supplier", 2, 2, 3),
        ("Partner", 0, 3, 3),
    ]
    with pytest.raises(NotFoundError):
        await catalog.get_type(CLI, 999)


async def test_a_type_moves_one_place_at_a_time(db):
    partner = await ContactType.get(name="Partner")
    await catalog.move_type(CLI, partner.id, -1)
    order = await ContactType.all().order_by("sort").values_list("name", flat=True)
    assert order == ["Client", "Partner", "Supplier"]
    await catalog.move_type(CLI, partner.id, 5)
    order = await ContactType.all().order_by("sort").values_list("name", flat=True)
    assert order == ["Client", "Supplier", "Partner"]
    with pytest.raises(NotFoundError):
        await catalog.move_type(CLI, 999, 1)


async def test_the_layout_view_includes_hidden_fields_in_card_order(db):
    await layout.set_hidden(CLI, (await CardPlacement.get(field="position")).id, hidden=True)
    view = await layout.layout_view(CLI)
    about = view.sections[0]
    assert [f.field for f in about.fields][6:9] == ["companies", "position", "type_id"]
    assert [f.field for f in about.fields if f.hidden] == ["position"]


async def test_a_layout_field_moves_within_and_between_sections(db):
    position = await CardPlacement.get(field="position")
    await layout.set_hidden(CLI, (await CardPlacement.get(field="companies")).id, hidden=True)
    await layout.move_field(CLI, position.id, -1)
    view = await layout.layout_view(CLI)
    names = [f.field for f in view.sections[0].fields]
    assert names.index("position") == names.index("companies") - 1  # hidden ones count too

    more = await CardSection.get(code="more")
    await layout.move_field_to(CLI, position.id, more.id)
    view = await layout.layout_view(CLI)
    assert view.find(position.id) == (view.section(more.id), len(view.section(more.id).fields) - 1)
    with pytest.raises(NotFoundError):
        await layout.move_field_to(CLI, position.id, 999)
    with pytest.raises(NotFoundError):
        await layout.move_field(CLI, 999, 1)


async def test_a_section_gets_a_unique_code_from_its_title(db):
    first = await layout.add_section(CLI, "Réseaux & co")
    second = await layout.add_section(CLI, "Réseaux & co")
    more = await layout.add_section(CLI, "More")
    assert (first.code, second.code, more.code) == ("reseaux_co", "reseaux_co_2", "more_2")
    assert [s.code for s in (await layout.layout_view(CLI)).sections][-1] == "more_2"
    with pytest.raises(ValidationError):
        await layout.add_section(CLI, "  ")
