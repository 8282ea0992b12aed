"""HTML and script injection in every field: pages escape it, stored data keeps it as typed."""

from html.parser import HTMLParser

import pytest

from tests.forms.conftest import aged_token, form_fields, make_form, only, submissions

ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' autofocus onfocus='alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><svg onload=alert(1)>",
    "&lt;b&gt; &amp; &#60;script&#62;",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} <!--",
]
HOSTILE = "<script>alert('x')</script>\"'&"

FIELDS = [
    {
        "name": "full_name",
        "type": "text",
        "label": {"en": "Name " + HOSTILE},
        "placeholder": {"en": HOSTILE},
        "required": True,
        "maps_to": "name",
    },
    {"name": "mail", "type": "email", "label": {"en": "Mail"}, "maps_to": "email"},
    {"name": "tel", "type": "tel", "label": {"en": "Phone"}, "maps_to": "phone"},
    {"name": "site", "type": "url", "label": {"en": "Site"}, "maps_to": "website"},
    {"name": "qty", "type": "number", "label": {"en": "Quantity"}},
    {"name": "day", "type": "date", "label": {"en": "Day"}},
    {"name": "size", "type": "select", "label": {"en": "Size"}, "options": ["S", HOSTILE]},
    {"name": "note", "type": "textarea", "label": {"en": "Note"}, "maps_to": "message"},
    {"name": "agree", "type": "checkbox", "label": {"en": "Agree " + HOSTILE}},
]


class Page(HTMLParser):
    """What a browser would build from the page: elements, attributes, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.raw_text_in: list[str] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._open:
            self.raw_text_in.append(self._open[-1])

    def values(self) -> dict[str, str | None]:
        return {a["name"]: a.get("value") for t, a in self.tags if t == "input" and "name" in a}

    def assert_inert(self) -> None:
        assert [t for t, _ in self.tags if t in ("script", "img", "svg", "iframe")] == []
        for tag, attrs in self.tags:
            assert not [a for a in attrs if a.startswith("on") or a == "autofocus"], (tag, attrs)


async def hostile_form():
    return await make_form(
        slug="hostile",
        title="Quote " + HOSTILE,
        fields=FIELDS,
        consent_text="I agree " + HOSTILE,
        success_text="Thanks " + HOSTILE,
    )


async def test_hostile_form_texts_are_escaped_on_the_page(client, db):
    await hostile_form()
    for path in ("/forms/hostile", "/forms/hostile?sent=1"):
        html = await (await client.get(path)).text()
        page = Page(html)
        page.assert_inert()
        assert HOSTILE in "".join(page.text)
    page = Page(await (await client.get("/forms/hostile")).text())
    placeholders = [a.get("placeholder") for t, a in page.tags if "placeholder" in a]
    assert placeholders == [HOSTILE]  # an attribute value, whole: the quote did not close it
    assert HOSTILE in [a.get("value") for t, a in page.tags if t == "option"]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_typed_attacks_are_escaped_when_the_page_comes_back(client, db, attack):
    await hostile_form()
    typed = {
        "full_name": attack,
        "mail": attack,  # invalid: the page comes back with the errors
        "tel": attack,
        "site": attack,
        "qty": attack,
        "day": attack,
        "size": attack,
        "note": attack,
        "agree": attack,
        "utm_source": attack,
        "consent": "on",
    }
    response = await client.post(
        "/forms/hostile",
        data=form_fields({**typed, "_token": aged_token("hostile")}),
        headers={"Accept-Language": "en"},
    )
    assert response.status == 422
    page = Page(await response.text())
    page.assert_inert()
    values = page.values()
    for name in ("full_name", "mail", "tel", "site", "qty", "day"):
        assert values[name] == attack  # kept exactly as typed
    assert values["utm_source"] == attack
    assert attack in "".join(page.text)  # the textarea's content, as text
    assert only(await submissions()).payload == typed  # stored as typed


async def test_attacks_in_a_valid_lead_are_stored_as_typed(client, db):
    await hostile_form()
    typed = {
        "full_name": "Jean <script>alert(1)</script> Dupont",
        "mail": "jean@example.fr",
        "note": '</textarea><img src=x onerror="alert(1)">',
        "size": HOSTILE,
        "consent": "on",
    }
    response = await client.post("/forms/hostile", json={**typed, "_token": aged_token("hostile")})
    assert response.status == 202
    submission = only(await submissions())
    assert submission.payload == typed and submission.status == "created"


async def test_the_json_spec_carries_texts_as_plain_text(client, db):
    await hostile_form()
    spec = await (await client.get("/forms/hostile?format=json")).json()
    assert spec["title"] == "Quote " + HOSTILE
    assert spec["fields"][0]["label"] == "Name " + HOSTILE
    assert spec["consent"]["text"] == "I agree " + HOSTILE
    assert spec["success_text"] == "Thanks " + HOSTILE
