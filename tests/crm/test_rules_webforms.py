"""Web forms' pure rules: definitions, answers, mapping, UTM, comments and the round-robin."""

import pytest

from crm.rules.fields import FieldError
from crm.rules.webforms import (
    FormField,
    StaffFacts,
    api_key_matches,
    check_consistency,
    check_definition,
    check_field,
    check_fields,
    check_origin,
    check_redirect,
    check_slug,
    comment_with,
    deal_title,
    draft_from_answers,
    hash_api_key,
    idempotency_key,
    next_cursor,
    pick_round_robin,
    queue_candidates,
    raw_payload,
    read_answers,
    read_utm,
)

NAME = {"name": "name", "type": "text", "label": "Name", "maps_to": "name", "required": True}


def field(name: str, kind: str = "text", maps_to: str | None = None, **extra) -> FormField:
    return check_field(
        {"name": name, "type": kind, "label": name.title(), "maps_to": maps_to, **extra}
    )


# --- definitions ----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["contact", "a", "spring-2030", "x" * 64, "0a"])
def test_good_slugs_pass(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-a", "a-", "A", "a b", "a_b", "x" * 65, "../x", None, 7])
def test_bad_slugs_fail(slug):
    with pytest.raises(FieldError):
        check_slug(slug)


def test_a_field_keeps_its_labels_placeholders_and_options():
    checked = check_field(
        {
            "name": "size",
            "type": "select",
            "label": {"en": "Size", "fr": "Taille"},
            "placeholder": {"en": "Pick one"},
            "options": ["S", "M", "M", "L"],
            "required": "yes",
        }
    )
    assert checked == FormField(
        "size",
        "select",
        {"en": "Size", "fr": "Taille"},
        True,
        {"en": "Pick one"},
        None,
        ["S", "M", "L"],
    )
    assert FormField.from_spec(checked.to_spec()) == checked
    assert checked.label_in("fr") == "Taille" and checked.label_in("de") == "Size"
    assert check_field({"name": "n", "type": "text", "label": "Nom"}).label == {"en": "Nom"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "Bad", "type": "text", "label": "X"}, "name must be"),
        ({"name": "consent", "type": "checkbox", "label": "X"}, "reserved"),
        ({"name": "utm_source", "type": "text", "label": "X"}, "reserved"),
        ({"name": "x", "type": "password", "label": "X"}, "type must be"),
        ({"name": "x", "type": "text"}, "label is required"),
        ({"name": "x", "type": "text", "label": {"de": "X"}}, "language must be"),
        ({"name": "x", "type": "text", "label": "X", "maps_to": "salary"}, "maps_to must be"),
        ({"name": "x", "type": "date", "label": "X", "maps_to": "phone"}, "must be of type tel"),
        ({"name": "x", "type": "select", "label": "X"}, "needs a list of options"),
        ({"name": "x", "type": "text", "label": "X", "options": ["a"]}, "only a select"),
        ({"name": "x", "type": "text", "label": "X", "colour": "red"}, "unknown settings"),
        ({"name": "x", "type": "text", "label": "X", "required": "perhaps"}, "required must"),
        ("x", "must be a field"),
    ],
)
def test_bad_fields_say_what_is_wrong(spec, message):
    with pytest.raises(FieldError) as err:
        check_field(spec)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "x", "type": "text", "label": "X", "maps_to": 3}, "maps_to must be a contact"),
        ({"name": "x", "type": "select", "label": "X", "options": ["a", " "]}, "non-empty texts"),
        ({"name": "x", "type": "select", "label": "X", "options": ["a", 1]}, "non-empty texts"),
        ({"name": "x", "type": "select", "label": "X", "options": "a"}, "needs a list"),
        (
            {"name": "x", "type": "select", "label": "X", "options": [str(n) for n in range(101)]},
            "has more than 100 options",
        ),
        ({"name": "x", "type": "text", "label": "X", "placeholder": 3}, "placeholder must map"),
        ({"name": "x", "type": "text", "label": {"en": "x" * 201}}, "label (en) is longer"),
    ],
)
def test_more_bad_fields_say_what_is_wrong(spec, message):
    with pytest.raises(FieldError) as err:
        check_field(spec)
    assert message in str(err.value)


def test_a_field_reports_its_first_problem_in_a_fixed_order():
    spec = {
        "name": "Bad",
        "type": "password",
        "label": None,
        "required": "perhaps",
        "maps_to": "salary",
        "options": ["a"],
    }
    messages = []
    for fixed in ({}, {"name": "x"}, {"type": "text"}, {"label": "X"}, {"required": True}):
        spec.update(fixed)
        with pytest.raises(FieldError) as err:
            check_field(spec)
        messages.append(str(err.value))
    spec["maps_to"] = "name"
    with pytest.raises(FieldError) as err:
        check_field(spec)
    messages.append(str(err.value))
    assert messages == [
        "name must be 1 to 32 lower-case letters, digits or _, like 'phone'",
        "type must be one of text, textarea, email, tel, url, number, date, select, checkbox",
        "label is required",
        "required must be yes or no",
        "maps_to must be one of name, first_name, last_name, honorific, phone, email, website,"
        " telegram, company, position, message, birthdate or custom.<code>",
        "only a select has options",
    ]


def test_a_checked_field_passes_again_and_feeds_custom_fields():
    checked = check_field(
        {"name": "budget", "type": "number", "label": "Budget", "maps_to": "custom.budget"}
    )
    assert check_field(checked) == checked
    assert checked.maps_to == "custom.budget" and checked.options == []
    assert check_field({"name": "x", "label": "X", "maps_to": ""}) == FormField(
        "x", "text", {"en": "X"}
    )


def test_a_form_needs_a_name_field_and_unique_names_and_targets():
    phone = {"name": "phone", "type": "tel", "label": "Phone", "maps_to": "phone"}
    assert check_fields([phone])[1] == {
        "fields": "one field must feed the contact's name, first_name or last_name"
    }
    assert check_fields([NAME, {**phone, "name": "name"}])[1] == {
        "fields.1": "name 'name' is used twice"
    }
    assert check_fields([NAME, phone, {**phone, "name": "phone2"}])[1] == {
        "fields.2": "phone is fed by two fields"
    }
    fields, errors = check_fields([NAME, phone])
    assert errors == {} and [f.name for f in fields] == ["name", "phone"]
    assert check_fields("name")[1] == {"fields": "must be a non-empty list of fields"}
    assert check_fields([NAME] * 31)[1] == {"fields": "must be at most 30"}


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://Example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        (" * ", "*"),
    ],
)
def test_origins_are_normalized(origin, expected):
    assert check_origin(origin) == expected


@pytest.mark.parametrize(
    "origin",
    [
        "example.com",
        "ftp://x.com",
        "https://x.com/path",
        "https://x.com:99999",
        "https://u@x.com",
    ],
)
def test_bad_origins_fail(origin):
    with pytest.raises(FieldError):
        check_origin(origin)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "https://a@evil.example",
        "https://x .com",
    ],
)
def test_redirects_are_http_or_https_only(url):
    with pytest.raises(FieldError):
        check_redirect(url)


def test_a_redirect_may_carry_a_path_and_query():
    assert check_redirect(" https://example.com/thanks?from=form ") == (
        "https://example.com/thanks?from=form"
    )
    assert check_redirect("") is None and check_redirect(None) is None


def test_a_definition_is_checked_as_a_whole():
    values, errors = check_definition(
        {
            "slug": "leads",
            "title": " Leads ",
            "scheme": "DEAL",
            "dedup_policy": "allow",
            "responsible_queue": "3, 1,3",
            "allowed_origins": "https://a.example, https://b.example",
            "api_key": "k" * 24,
            "fields": [NAME],
        },
        creating=True,
    )
    assert errors == {}
    assert values["title"] == "Leads" and values["scheme"] == "deal"
    assert values["responsible_queue"] == [3, 1]
    assert values["allowed_origins"] == ["https://a.example", "https://b.example"]
    assert values["api_key_hash"] == hash_api_key("k" * 24)
    assert values["fields_spec"][0]["maps_to"] == "name"
    _, errors = check_definition({"title": "", "scheme": "x", "queue": 1}, creating=True)
    assert set(errors) == {"slug", "title", "scheme", "queue"}
    _, errors = check_definition({"slug": "new"}, creating=False)
    assert set(errors) == {"slug"}
    assert check_definition({"api_key": ""}, creating=False) == ({"api_key_hash": None}, {})


def test_a_definition_reports_errors_in_a_fixed_order():
    _, errors = check_definition(
        {
            "fields": "x",
            "api_key": "short",
            "is_active": "maybe",
            "allowed_origins": "ftp://x",
            "redirect_url": "javascript:alert(1)",
            "consent_required": "?",
            "responsible_queue": "a",
            "dedup_policy": "x",
            "scheme": "x",
            "title": "",
            "slug": "Bad",
            "colour": "red",
        },
        creating=True,
    )
    assert list(errors.items()) == [
        ("colour", "is not a form setting"),
        ("slug", "must be 1 to 64 lower-case letters, digits or hyphens, like 'contact'"),
        ("scheme", "must be one of contact, deal, quote"),
        ("dedup_policy", "must be one of allow, merge, replace"),
        ("responsible_queue", "must be a list of staff ids"),
        ("consent_required", "must be yes or no"),
        (
            "redirect_url",
            "must be an http:// or https:// address such as https://example.com/thanks",
        ),
        ("allowed_origins", "'ftp://x' must be scheme://host[:port], such as https://example.com"),
        ("is_active", "must be yes or no"),
        ("api_key", "must be 20 to 200 characters without spaces (a random string)"),
        ("fields", "must be a non-empty list of fields"),
        ("title", "is required"),
    ]
    values, errors = check_definition({"title": "T", "consent_text": " I agree "}, creating=False)
    assert (values, errors) == ({"title": "T", "consent_text": "I agree"}, {})
    assert check_definition({}, creating=False) == ({}, {})
    assert check_definition({"title": None}, creating=False) == (
        {"title": None},
        {"title": "is required"},
    )
    assert check_definition({"title": "x" * 201}, creating=False)[1] == {
        "title": "is longer than 200 characters"
    }


def test_consent_required_needs_a_text():
    assert check_consistency({"consent_required": True, "consent_text": None})
    assert check_consistency({"consent_required": False, "consent_text": None}) == {}
    assert check_consistency({"consent_required": True, "consent_text": "I agree"}) == {}


def test_api_keys_match_only_their_hash():
    stored = hash_api_key("a-long-random-server-key")
    assert "a-long-random" not in stored
    assert api_key_matches("a-long-random-server-key", stored)
    assert not api_key_matches("a-long-random-server-kez", stored)
    assert not api_key_matches(None, stored)
    assert not api_key_matches("", hash_api_key(""))
    assert not api_key_matches("anything", None)


# --- answers --------------------------------------------------------------------------------


FIELDS = [
    field("name", maps_to="name", required=True),
    field("phone", "tel", maps_to="phone"),
    field("mail", "email", maps_to="email"),
    field("site", "url", maps_to="website"),
    field("qty", "number"),
    field("day", "date"),
    field("size", "select", options=["Small", "Large"]),
    field("news", "checkbox"),
    field("agree", "checkbox", required=True),
    field("note", "textarea", maps_to="message"),
]


def test_answers_are_checked_by_type_and_unknown_inputs_ignored():
    answers, errors = read_answers(
        FIELDS,
        {
            "name": "  Jean   Dupont ",
            "phone": ["06 12 34 56 78"],
            "mail": "Jean@X.fr",
            "site": "x.example",
            "qty": "1,50",
            "day": "02/01/2030",
            "size": "large",
            "news": "",
            "agree": "on",
            "note": "  Line 1\n  Line 2  ",
            "other": "ignored",
            "consent": "true",
        },
        consent_required=True,
        region="FR",
    )
    assert errors == {}
    assert answers == {
        "name": "Jean Dupont",
        "phone": "06 12 34 56 78",
        "mail": "Jean@X.fr",
        "site": "x.example",
        "qty": "1.5",
        "day": "2030-01-02",
        "size": "Large",
        "agree": True,
        "note": "Line 1\n  Line 2",
    }


def test_every_problem_is_reported_at_once():
    _, errors = read_answers(
        FIELDS,
        {"phone": "abc", "mail": "x@", "qty": "many", "day": "soon", "size": "Huge", "agree": "0"},
        consent_required=True,
        region="FR",
    )
    assert set(errors) == {"name", "phone", "mail", "qty", "day", "size", "agree", "consent"}
    assert errors["name"] == "is required"
    assert errors["agree"] == "must be checked"
    assert errors["consent"] == "must be accepted"


def test_a_text_input_is_checked_by_what_it_feeds():
    fields = [
        field("name", maps_to="name"),
        field("mail", maps_to="email"),
        field("tel", maps_to="phone"),
        field("site", maps_to="website"),
        field("born", maps_to="birthdate"),
        field("size", "select", maps_to="custom.size", options=["Small", "Large"]),
        field("qty", "number"),
        field("agree", "checkbox"),
        field("note", "textarea"),
    ]
    answers, errors = read_answers(
        fields,
        {
            "name": 7,
            "mail": "j@x.fr",
            "tel": "+33 6 12 34 56 78",
            "site": "x.example",
            "born": "25/04/1990",
            "size": " small ",
            "qty": 12,
            "agree": 0,
            "note": "  a  ",
        },
        consent_required=False,
        region=None,
    )
    assert errors == {}
    assert answers == {
        "name": "7",
        "mail": "j@x.fr",
        "tel": "+33 6 12 34 56 78",
        "site": "x.example",
        "born": "1990-04-25",
        "size": "Small",
        "qty": "12",
        "agree": False,
        "note": "a",
    }
    _, errors = read_answers(
        fields,
        {
            "name": {"first": "J"},
            "mail": "j@",
            "tel": "12",
            "site": "mailto:j@x.fr",
            "born": "soon",
            "size": "Huge",
            "qty": True,
            "agree": "perhaps",
            "note": ["a", "b"],
        },
        consent_required=False,
        region="FR",
    )
    assert errors == {
        "name": "must be text",
        "mail": "There must be something after the @-sign.",
        "tel": "is not a valid phone number",
        "site": "must be a web address such as https://example.com",
        "born": "must be a date such as 1990-04-25 or 25/04/1990",
        "size": "must be one of the options",
        "qty": "must be text",
        "agree": "must be yes or no",
        "note": "must be one value",
    }


def test_a_phone_without_a_default_region_needs_a_country_code():
    payload = {"name": "J", "phone": "0612345678", "agree": "on"}
    _, errors = read_answers(FIELDS, payload, consent_required=False, region=None)
    assert errors == {"phone": "needs a country code such as +33 (no default region is set)"}


def test_answers_map_to_a_contact_draft():
    fields = [
        field("name", maps_to="name"),
        field("phone", "tel", maps_to="phone"),
        field("mail", "email", maps_to="email"),
        field("tg", maps_to="telegram"),
        field("org", maps_to="company"),
        field("budget", "number", maps_to="custom.budget"),
        field("note", "textarea", maps_to="message"),
        check_field({"name": "how", "type": "text", "label": {"en": "How", "fr": "Comment"}}),
        field("news", "checkbox"),
    ]
    draft = draft_from_answers(
        fields,
        {
            "name": "Dr Jean de La Fontaine",
            "phone": "06 12 34 56 78",
            "mail": "j@x.fr",
            "tg": "@jlf",
            "org": "Acme",
            "budget": "12.5",
            "note": "Hello",
            "how": "a friend",
            "news": True,
        },
        region="FR",
        language="fr",
    )
    assert draft.data == {
        "honorific": "Dr",
        "first_name": "Jean",
        "last_name": "de La Fontaine",
        "phones": [{"value": "06 12 34 56 78", "value_type": "MOBILE"}],
        "emails": [{"value": "j@x.fr", "value_type": "WORK"}],
        "messengers": [{"value": "@jlf", "value_type": "TELEGRAM"}],
        "company_title": "Acme",
        "custom": {"budget": "12.5"},
    }
    assert draft.message == "Hello\nComment: a friend\nNews: yes"
    assert draft.field_of("phones.0") == "phone"
    assert draft.field_of("last_name") == "name"
    assert draft.field_of("custom.budget") == "budget"
    assert draft.field_of("companies") == "org"
    assert draft.field_of("source_id") == "source_id"


def test_answers_feed_the_contact_fields_of_the_same_name():
    fields = [
        field("first", maps_to="first_name"),
        field("last", maps_to="last_name"),
        field("title", maps_to="honorific"),
        field("job", maps_to="position"),
        field("born", "date", maps_to="birthdate"),
        field("site", "url", maps_to="website"),
        field("skipped", maps_to="company"),
        field("how"),
    ]
    answers = {
        "first": "Ann",
        "last": "Lee",
        "title": "Ms",
        "job": "CTO",
        "born": "1990-04-25",
        "site": "lee.example",
        "how": "search",
    }
    draft = draft_from_answers(fields, answers, region=None, language="en")
    assert draft.data == {
        "first_name": "Ann",
        "last_name": "Lee",
        "honorific": "Ms",
        "position": "CTO",
        "birthdate": "1990-04-25",
        "websites": [{"value": "lee.example", "value_type": "WORK"}],
    }
    assert draft.extras == [("How", "search")]
    assert draft.message == "How: search"
    assert draft.origin == {
        "first_name": "first",
        "last_name": "last",
        "honorific": "title",
        "position": "job",
        "birthdate": "born",
        "websites": "site",
    }


def test_no_message_and_no_extras_give_no_comment():
    draft = draft_from_answers(
        [field("name", maps_to="name")], {"name": "Ann"}, region=None, language="en"
    )
    assert (draft.data, draft.message) == ({"first_name": "Ann"}, None)


# --- UTM, raw payloads, keys ----------------------------------------------------------------


def test_utm_comes_from_the_fields_first_then_the_page_address():
    utm = read_utm(
        {"utm_source": "newsletter", "utm_term": ["  a   b "]},
        "https://site.example/p?utm_source=google&utm_medium=cpc&utm_campaign=&x=1",
    )
    assert utm == {"utm_source": "newsletter", "utm_medium": "cpc", "utm_term": "a b"}
    assert read_utm({}, None) == {}
    assert read_utm({"utm_source": "x" * 500}, "::not a url::")["utm_source"] == "x" * 200


def test_raw_payloads_keep_every_value_json_can_hold():
    class Odd:
        def __str__(self) -> str:
            return "odd"

    stored = raw_payload(
        {
            "a": "x\x00y",
            "b": [1, 2.5, None, True],
            3: {"n": float("nan")},
            "o": Odd(),
            "s": "\udc80",
        }
    )
    assert stored == {
        "a": "x\ufffdy",
        "b": [1, 2.5, None, True],
        "3": {"n": "nan"},
        "o": "odd",
        "s": "?",
    }


def test_idempotency_keys_are_trimmed_and_long_ones_digested():
    assert idempotency_key(None) is None and idempotency_key("  ") is None
    assert idempotency_key(" abc ") == "abc"
    long_key = idempotency_key("k" * 500)
    assert long_key and long_key.startswith("sha256:") and len(long_key) <= 128
    assert long_key != idempotency_key("k" * 499)


# --- comments and titles --------------------------------------------------------------------


def test_the_message_is_appended_once_and_never_cuts_staff_notes():
    assert comment_with(None, "Hello") == "Hello"
    assert comment_with("Notes", "Hello") == "Notes\n\nHello"
    assert comment_with("Notes\n\nHello", "Hello") is None
    assert comment_with("Notes", None) is None
    long = comment_with("N" * 50, "M" * 100, limit=100)
    assert long is not None and long.startswith("N" * 50 + "\n\n") and len(long) == 100
    assert long.endswith("…")
    assert comment_with("N" * 90, "Hello", limit=100) is None
    assert comment_with(None, "M" * 200, limit=100) == "M" * 99 + "…"


def test_deal_titles_name_the_form_and_the_person():
    assert deal_title("Quote request", "Jean Dupont") == "Quote request: Jean Dupont"
    assert deal_title("Quote request", "") == "Quote request"
    assert len(deal_title("T" * 200, "N" * 200)) == 255


# --- round-robin ----------------------------------------------------------------------------


def test_the_queue_takes_active_reachable_staff_in_its_order():
    staff = [
        StaffFacts(1, True),
        StaffFacts(2, False),
        StaffFacts(3, True, is_unreachable=True),
        StaffFacts(4, True),
        StaffFacts(9, True, is_admin=True),
    ]
    assert queue_candidates([4, 2, 1, 3, 77], staff) == [4, 1]
    # Nobody in the queue can hear about it: the reachable administrators do.
    assert queue_candidates([3], staff) == [9]
    unreachable_admin = [StaffFacts(3, True, is_unreachable=True), StaffFacts(9, True, True, True)]
    assert queue_candidates([3], unreachable_admin) == [3]  # nobody can: the queue still turns
    assert queue_candidates([], unreachable_admin) == [9]


def test_an_empty_or_inactive_queue_falls_back_to_active_admins():
    staff = [StaffFacts(5, True, True), StaffFacts(2, True, True), StaffFacts(3, False, True)]
    assert queue_candidates([], staff) == [2, 5]
    assert queue_candidates([7], [*staff, StaffFacts(7, False)]) == [2, 5]
    assert queue_candidates([], [StaffFacts(1, True)]) == []


def test_the_pick_turns_with_the_cursor():
    assert [pick_round_robin([4, 1, 7], c) for c in range(7)] == [4, 1, 7, 4, 1, 7, 4]
    assert pick_round_robin([], 3) is None
    assert next_cursor(5) == 6
    assert next_cursor(2**30 - 1) == 0
