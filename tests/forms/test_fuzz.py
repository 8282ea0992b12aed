"""Property-based fuzzing of POST /forms/{slug} and of the status endpoint, in-process: never
a 5xx, never a partial contact, every accepted submission stored (and processed by the
worker), never a contact id in a post's answer.

Each example is a batch of BATCH posts sent at once (which also shakes out races), so the
four tests below send 10,500 generated bodies, header sets and encodings in all under the
`ci` Hypothesis profile (HYPOTHESIS_PROFILE=ci), a tenth of that under `dev`, the default
(profiles in tests/conftest.py).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.db import connection, dialect
from models import Contact, FormSubmission
from tests.conftest import TEST_DB_URL, _is_postgres, examples
from tests.forms.conftest import API_KEY, CONTACT, aged_token, make_form, settled

pytestmark = pytest.mark.slow

BATCH = 5
# The bodies are parsed and checked the same way on both databases: the SQLite half fuzzes in
# full, the PostgreSQL half a quarter as much (its storage path is what it adds).
SHARE = 4 if _is_postgres(TEST_DB_URL) else 1
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACCEPTED = {201, 202, 303}
SLUGS = [CONTACT, "partner"]
NAMES = [
    "name",
    "phone",
    "email",
    "message",
    "consent",
    "website_url",
    "homepage_url",
    "_token",
    "_page",
    "_lang",
    "_key",
    "utm_source",
    "utm_campaign",
    "extra",
]
CHARSETS = ["utf-8", "latin-1", "utf-16", "ascii", "cp1251", "no-such-charset"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/ld+json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=zz",
    "text/plain",
    "text/html",
    "application/xml",
    "",
    "*/*",
    ";;;",
    "application/json; charset=bogus",
]
SAMPLES = [
    "Jean Dupont",
    "Zoé Étoile",
    "O'Brien-Smith",
    "+33 6 12 34 56 78",
    "06 12 34 56 78",
    "0612",
    "jean@example.fr",
    "JEAN@EXAMPLE.FR",
    "not@",
    "on",
    "true",
    "no",
    "",
    " ",
    "ﷺ",
    "\u202e",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a" * 300,
    "\ud800",
    "\x00",
    "1e999",
    "https://example.com/?utm_source=x",
    "Robert'); DROP TABLE contact;--",
]
HEADER_SETS = [
    {},
    {"Accept": "application/json"},
    {"Accept": "text/html", "Accept-Language": "fr-FR,fr;q=0.9"},
    {"Origin": "https://shop.example", "Referer": "https://shop.example/p?utm_source=ads"},
    {"X-Forwarded-For": "203.0.113.5, 10.0.0.1", "User-Agent": "Mozilla/5.0"},
    {"X-Carnet-Form-Key": API_KEY},
    {"Idempotency-Key": "fuzz-key-1"},
    {"Origin": "null", "Accept-Language": "*;q=0.1,de"},
]
HEADER_NAMES = [
    "Accept",
    "Accept-Language",
    "Origin",
    "Referer",
    "User-Agent",
    "X-Forwarded-For",
    "Idempotency-Key",
    "X-Carnet-Form-Key",
]

header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
texts = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=30))
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=10))
scalars = st.one_of(
    texts, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True)
)
json_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=4), scalars, max_size=2),
)


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, str]:
    """A browser's, a server's or an attacker's headers: a known set plus one odd value."""
    chosen = dict(draw(st.sampled_from(HEADER_SETS)))
    if draw(st.booleans()):
        chosen[draw(st.sampled_from(HEADER_NAMES))] = draw(header_text)
    return chosen


@st.composite
def lead_fields(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly plausible leads (so the core really creates contacts), hostile values mixed in."""
    fields: dict[str, Any] = {
        "name": draw(st.one_of(st.sampled_from(["Jean Dupont", "Ana Lopez", "Bo", ""]), texts)),
        "email": draw(st.one_of(st.sampled_from(["a@example.fr", "B@EXAMPLE.FR", ""]), texts)),
        "consent": draw(st.sampled_from(["on", "", "no", "true"])),
    }
    if draw(st.booleans()):
        fields["phone"] = draw(
            st.one_of(st.sampled_from(["+33612345678", "06 12 34 56 79"]), texts)
        )
    fields.update(draw(st.dictionaries(names, texts, max_size=2)))
    # A quarter carry a good token: those go all the way to a contact (the dearest path).
    if draw(st.integers(0, 3)) == 0:
        fields["_token"] = aged_token()
    return fields


@dataclass
class Post:
    slug: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def keyed(self) -> bool:
        """Whether it may carry an idempotency key (the header, or the page's `_key` field)."""
        return "Idempotency-Key" in self.headers or b"_key" in self.body


def encode(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset, "surrogatepass" if charset == "utf-8" else "replace")
    except LookupError:
        return text.encode("utf-8", "surrogatepass")


def multipart(pairs: list[tuple[str, Any]], charset: str, with_file: bool) -> tuple[bytes, str]:
    boundary = "----carnetfuzz7MA4YWxkTrZu0gW"
    out = bytearray()
    for name, value in pairs:
        safe = str(name).replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        out += encode(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{safe}"\r\n\r\n', "utf-8"
        )
        out += encode(str(value), charset) + b"\r\n"
    if with_file:
        out += (
            encode(
                f'--{boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n",
                "utf-8",
            )
            + b"%PDF-1.4\x00\xff" * 10
            + b"\r\n"
        )
    out += encode(f"--{boundary}--\r\n", "utf-8")
    return bytes(out), f"multipart/form-data; boundary={boundary}; charset={charset}"


@st.composite
def json_posts(draw: st.DrawFn) -> Post:
    body = draw(st.dictionaries(names, json_values, max_size=6))
    if draw(st.integers(0, 2)) == 0:
        body.update(draw(lead_fields()))
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    content_type = draw(st.sampled_from(CONTENT_TYPES[:3] + ["application/json; charset=utf-16"]))
    headers = {**draw(header_sets()), "Content-Type": content_type}
    return Post(draw(st.sampled_from(SLUGS)), encode(text, "utf-8"), headers)


@st.composite
def form_posts(draw: st.DrawFn) -> Post:
    fields = draw(lead_fields())
    pairs = list(fields.items()) + draw(st.lists(st.tuples(names, texts), max_size=2))
    charset = draw(st.sampled_from(CHARSETS))
    if draw(st.booleans()):
        body, content_type = multipart(pairs, charset, draw(st.booleans()))
    else:
        try:
            body = urlencode(
                pairs, encoding=charset, errors="surrogatepass" if charset == "utf-8" else "replace"
            ).encode()
        except LookupError:
            body = urlencode(pairs, errors="surrogatepass").encode()
        content_type = f"application/x-www-form-urlencoded; charset={charset}"
    headers = {**draw(header_sets()), "Content-Type": content_type}
    return Post(draw(st.sampled_from(SLUGS)), body, headers)


@st.composite
def raw_posts(draw: st.DrawFn) -> Post:
    body = draw(st.binary(max_size=200))
    content_type = draw(st.one_of(st.sampled_from(CONTENT_TYPES), header_text))
    return Post(CONTACT, body, {**draw(header_sets()), "Content-Type": content_type})


@st.composite
def header_posts(draw: st.DrawFn) -> Post:
    body = {
        "name": "Jean Dupont",
        "email": "jean@example.fr",
        "consent": "on",
        "_token": aged_token(),
        "_lang": draw(st.one_of(st.none(), header_text)),
    }
    headers = {name: draw(header_text) for name in draw(st.sets(st.sampled_from(HEADER_NAMES)))}
    headers["Content-Type"] = "application/json"
    return Post(CONTACT, json.dumps(body).encode(), headers)


async def send(client: TestClient, post: Post) -> tuple[int, str, Any]:
    async with client.post(
        f"/forms/{post.slug}",
        data=post.body,
        headers=post.headers,
        allow_redirects=False,
        skip_auto_headers=["Content-Type"],
    ) as response:
        text = await response.text(errors="replace")
        body = json.loads(text) if response.content_type == "application/json" else None
        return response.status, text, body


async def check_batch(client: TestClient, posts: list[Post]) -> None:
    """Send the batch at once; then check every answer against the database."""
    before = await FormSubmission.all().count()
    answers = await asyncio.gather(*(send(client, p) for p in posts))
    stored = 0
    for status, text, body in answers:
        assert status < 500, (status, text)
        if status in ACCEPTED or status in (401, 422):  # a refused 401 is kept as spam
            stored += 1
        if status in ACCEPTED and body is not None:
            # Never the contact, nor whether the person was known.
            assert set(body) == {"ok", "submission_id", "status"}, body
            assert body["status"] in ("received", "created", "merged")  # replays may be further
            assert await FormSubmission.exists(id=body["submission_id"])
    await settled()
    for status, _, body in answers:
        if status in ACCEPTED and body is not None:
            submission = await FormSubmission.get(id=body["submission_id"])
            assert submission.status in ("created", "merged", "spam", "rejected")
            if submission.status in ("created", "merged"):
                assert await Contact.exists(id=submission.contact_id)
    added = await FormSubmission.all().count() - before
    if any(post.keyed for post in posts):
        assert added <= stored  # a repeated key stores nothing new
    else:
        assert added == stored  # every accepted or rejected post stored, nothing else


async def assert_no_partial_contact() -> None:
    """Every contact came whole from a processed submission; nothing is left half-done."""
    assert not await FormSubmission.filter(status__in=["received", "failed"]).exists()
    for contact in await Contact.all():
        assert contact.first_name or contact.last_name
        assert await FormSubmission.exists(contact_id=contact.id, status__in=["created", "merged"])


@pytest.fixture
async def fuzz_client(make_client, db) -> AsyncIterator[TestClient]:
    """The app with limits out of the way; after all examples, no contact may be partial."""
    await make_form(
        slug="partner",
        title="Partner",
        api_key=API_KEY,
        consent_required=False,
        allowed_origins=["https://shop.example"],
    )
    sqlite = dialect() == "sqlite"
    if sqlite:  # a throwaway database: no fsync per commit, so 10,000 posts take seconds
        await connection().execute_script("PRAGMA synchronous = OFF")
    try:
        yield await make_client(
            trust_proxy=True, address_limit_per_minute=10**9, form_limit_per_minute=10**9
        )
        await settled()
        await assert_no_partial_contact()
    finally:
        if sqlite:
            await connection().execute_script("PRAGMA synchronous = FULL")


@settings(FUZZ, max_examples=examples(700) // SHARE)
@given(posts=st.lists(json_posts(), min_size=BATCH, max_size=BATCH))
async def test_json_bodies(fuzz_client, posts):
    await check_batch(fuzz_client, posts)


@settings(FUZZ, max_examples=examples(700) // SHARE)
@given(posts=st.lists(form_posts(), min_size=BATCH, max_size=BATCH))
async def test_urlencoded_and_multipart_bodies_in_any_charset(fuzz_client, posts):
    await check_batch(fuzz_client, posts)


@settings(FUZZ, max_examples=examples(500) // SHARE)
@given(posts=st.lists(raw_posts(), min_size=BATCH, max_size=BATCH))
async def test_raw_bytes_under_any_content_type(fuzz_client, posts):
    await check_batch(fuzz_client, posts)


@settings(FUZZ, max_examples=examples(200) // SHARE)
@given(posts=st.lists(header_posts(), min_size=BATCH, max_size=BATCH))
async def test_valid_leads_with_hostile_headers(fuzz_client, posts):
    await check_batch(fuzz_client, posts)


STATUS_KEYS = [API_KEY, "", "wrong-key-wrong-key-wrong", API_KEY + " ", API_KEY.upper()]
STATUS_IDS = ["1", "2", "0", "-1", "999999", "2147483648", "99999999999999", "1e3", "١", " 1"]


@st.composite
def status_reads(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """A read of the status endpoint: a real or odd slug, id and key."""
    slug = draw(st.one_of(st.sampled_from(SLUGS), st.text(max_size=12)))
    submission_id = draw(st.one_of(st.sampled_from(STATUS_IDS), st.text(max_size=12)))
    headers = draw(header_sets())
    if draw(st.booleans()):
        headers["X-Carnet-Form-Key"] = draw(st.one_of(st.sampled_from(STATUS_KEYS), header_text))
    return slug, submission_id, headers


@settings(FUZZ, max_examples=examples(300) // SHARE)
@given(reads=st.lists(status_reads(), min_size=BATCH, max_size=BATCH))
async def test_the_status_endpoint_never_fails_nor_leaks(fuzz_client, reads):
    if not await FormSubmission.exists():  # something to read: one post of each form
        for slug in SLUGS:
            body = {"name": "Jean Dupont", "consent": "on", "_token": aged_token(slug)}
            await fuzz_client.post(
                f"/forms/{slug}",
                json=body,
                headers={"X-Carnet-Form-Key": API_KEY} if slug != CONTACT else {},
            )
        await settled()
    for slug, submission_id, headers in reads:
        url = f"/forms/{quote(slug, safe='')}/submissions/{quote(submission_id, safe='')}"
        async with fuzz_client.get(url, headers=headers) as response:
            text = await response.text(errors="replace")
            assert response.status < 500, (response.status, text)
            if response.status != 200:
                continue
            body = json.loads(text)
        # Only the key holder of the form whose submission it is reads it (HTTP drops the
        # spaces and tabs around a header's value).
        assert slug == "partner"
        assert headers.get("X-Carnet-Form-Key", "").strip(" \t") == API_KEY
        stored = await FormSubmission.get(id=body["submission_id"])
        assert stored.form_id == (await form_id_of("partner"))
        assert (body["status"], body["contact_id"]) == (stored.status, stored.contact_id)


async def form_id_of(slug: str) -> int:
    from crm.webforms.definitions import get_public_form

    return (await get_public_form(slug)).id
