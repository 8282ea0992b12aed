"""The core of the edit and link dialogs: editable cards, deal search, create-and-link."""

import pytest

from crm import companies, contacts, linking
from crm.contacts import create_contact, link, update_contact
from crm.errors import NotFoundError, PermissionDeniedError, StaleEditError, ValidationError
from crm.linking import title_matches
from models import Company, ContactCompany
from models.enums import Level
from tests.conftest import actor_of


@pytest.fixture
async def alice(make_staff):
    return await make_staff("Alice")


async def _jean(staff):
    return await create_contact(await actor_of(staff), {"first_name": "Jean"})


@pytest.mark.parametrize(
    ("title", "query", "expected"),
    [
        ("Énorme contrat 2026", "enorme", True),
        ("Énorme contrat 2026", "CONTRAT 20", True),
        ("Énorme contrat 2026", "trat", False),
        ("Énorme contrat 2026", "contrat enorme", False),
        ("Renouvellement", "", False),
        ("Renouvellement", "!!", False),
    ],
)
def test_a_title_matches_when_the_query_starts_a_run_of_its_words(title, query, expected):
    assert title_matches(title, query) is expected


async def test_an_editable_card_is_refused_to_someone_who_may_only_read(alice, make_staff):
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL})
    jean = await _jean(alice)
    with pytest.raises(PermissionDeniedError):
        await linking.contact_for_edit(await actor_of(reader), jean.id)
    card = await linking.contact_for_edit(await actor_of(alice), jean.id, jean.version)
    assert card.id == jean.id


async def test_an_editable_card_at_an_old_version_is_stale(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    await update_contact(actor, jean.id, {"position": "CEO"}, jean.version)
    with pytest.raises(StaleEditError) as caught:
        await linking.contact_for_edit(actor, jean.id, jean.version)
    assert caught.value.current_version == jean.version + 1
    assert (await linking.contact_for_edit(actor, jean.id)).version == jean.version + 1


async def test_deals_are_found_by_title_among_readable_live_deals(alice, make_staff):
    other = await make_staff("Other", level=Level.OWN)
    actor = await actor_of(alice)
    mine = await actor_of(other)
    big = await companies.create(mine, "deal", {"title": "Énorme contrat"})
    await companies.create(mine, "deal", {"title": "Petit contrat"})
    gone = await companies.create(mine, "deal", {"title": "Énorme erreur"})
    await companies.delete(mine, "deal", gone.pk)
    await companies.create(actor, "deal", {"title": "Énorme secret"})
    found = await linking.search_deals(mine, "ENORME")
    assert [d.id for d in found] == [big.pk]
    assert await linking.search_deals(mine, "  ") == []


async def test_link_targets_are_companies_and_deals(alice):
    actor = await actor_of(alice)
    acme = await companies.create(actor, "company", {"title": "Acme"})
    deal = await companies.create(actor, "deal", {"title": "Acme renewal"})
    found = await linking.find_targets(actor, "acme")
    assert [c.id for c in found.companies] == [acme.pk]
    assert [d.id for d in found.deals] == [deal.pk]
    empty = await linking.find_targets(actor, "")
    assert (empty.companies, empty.deals) == ([], [])


async def test_contact_links_list_the_deals_one_may_read(alice, make_staff):
    owner = await make_staff("Owner", level=Level.OWN)
    viewer = await make_staff("Viewer", level=Level.OWN)
    admin = await actor_of(await make_staff("Admin", admin=True))
    jean = await _jean(viewer)
    seen = await companies.create(await actor_of(viewer), "deal", {"title": "Seen"})
    hidden = await companies.create(await actor_of(owner), "deal", {"title": "Hidden"})
    await link(admin, jean.id, "deal", seen.pk)
    await link(admin, jean.id, "deal", hidden.pk)
    links = await linking.contact_links(await actor_of(viewer), jean.id)
    assert [d.title for d in links.deals] == ["Seen"]
    assert links.card.id == jean.id


async def test_a_company_is_created_and_linked_as_primary(alice):
    actor = await actor_of(alice)
    jean = await _jean(alice)
    company = await linking.create_company_and_link(actor, jean.id, "  Nouvelle  Société ")
    assert company.title == "Nouvelle Société"
    assert await ContactCompany.exists(contact_id=jean.id, company_id=company.id, is_primary=True)
    card = await contacts.get_contact(actor, jean.id)
    assert card.version == jean.version + 1


async def test_no_company_is_created_for_a_contact_one_may_not_edit(alice, make_staff):
    reader = await make_staff("Reader", level=None, levels={"read": Level.ALL, "add": Level.ALL})
    jean = await _jean(alice)
    with pytest.raises(PermissionDeniedError):
        await linking.create_company_and_link(await actor_of(reader), jean.id, "Acme")
    with pytest.raises(NotFoundError):
        await linking.create_company_and_link(await actor_of(alice), 99999, "Acme")
    assert await Company.all().count() == 0


async def test_a_bad_title_creates_nothing(alice):
    jean = await _jean(alice)
    with pytest.raises(ValidationError):
        await linking.create_company_and_link(await actor_of(alice), jean.id, "   ")
    assert await Company.all().count() == 0


async def test_the_company_is_not_kept_when_the_link_fails(alice, monkeypatch):
    actor = await actor_of(alice)
    jean = await _jean(alice)

    async def refused(*args, **kwargs):
        raise PermissionDeniedError("you may not edit this contact")

    monkeypatch.setattr(contacts, "link", refused)
    with pytest.raises(PermissionDeniedError):
        await linking.create_company_and_link(actor, jean.id, "Acme")
    assert await Company.all().count() == 0
