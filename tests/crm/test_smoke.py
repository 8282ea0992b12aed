from crm import contacts, search
from crm.actors import system_actor


async def test_it_creates_and_finds_a_contact(db):
    actor = system_actor("cli")
    card = await contacts.create_contact(
        actor, {"first_name": "José", "last_name": "Álvarez", "phones": ["06 12 34 56 78"],
                "emails": ["Jose.Alvarez@Example.com"]}
    )
    assert card.channels[0].normalized in ("+33612345678", "jose.alvarez@example.com")
    for q in ("jose", "ALV", "0612", "+33 6 12 34", "12 34 56", "jose.alvarez@", "example"):
        page = await search.search_contacts(actor, q)
        assert [r.id for r in page.items] == [card.id], q
    assert (await search.search_contacts(actor, "nobody")).items == []
