"""Web forms' pure rules (F8): definitions checked, a visitor's answers validated and mapped to a
contact draft, UTM read from the fields or the page address, and the round-robin pick.

Nothing here touches the database; `crm.webforms` runs these rules inside its use cases.
"""

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crm.i18n import LANGUAGES
from crm.rules import webform_look as look
from crm.rules.emails import InvalidEmailError, normalize_email
from crm.rules.fieldref import FieldRef
from crm.rules.fields import (
    FieldError,
    clean_string,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_url,
)
from crm.rules.freetext import phone_value_type, split_name
from crm.rules.phones import InvalidPhoneError, normalize_phone
from crm.rules.text import clean_text
from models.enums import DedupPolicy, FormScheme

# What a form field may feed. "name" is split into first and last name; "message" goes to the
# contact's comment (appended on merge); "custom.<code>" is a custom field.
CONTACT_TARGETS = (
    "name",
    "first_name",
    "last_name",
    "honorific",
    "phone",
    "email",
    "website",
    "telegram",
    "company",
    "position",
    "message",
    "birthdate",
)
FIELD_TYPES = ("text", "textarea", "email", "tel", "url", "number", "date", "select", "checkbox")
# The input types that make sense for each target (a phone typed in a date picker does not).
TARGET_TYPES: dict[str, tuple[str, ...]] = {
    "name": ("text",),
    "first_name": ("text",),
    "last_name": ("text",),
    "honorific": ("text", "select"),
    "phone": ("tel", "text"),
    "email": ("email", "text"),
    "website": ("url", "text"),
    "telegram": ("text",),
    "company": ("text", "select"),
    "position": ("text", "select"),
    "message": ("textarea", "text"),
    "birthdate": ("date", "text"),
}
NAME_TARGETS = ("name", "first_name", "last_name")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CUSTOM_CODE = re.compile(r"^custom\.([a-z][a-z0-9_]{0,63})$")
CONSENT_FIELD = "consent"  # the consent checkbox's input name, on every form
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
# Input names a form may not define: the adapter and the core read them for themselves.
RESERVED_NAMES = frozenset({CONSENT_FIELD, *UTM_KEYS})
POLICIES = (DedupPolicy.ALLOW, DedupPolicy.MERGE, DedupPolicy.REPLACE)
MAX_FIELDS = 30
MAX_OPTIONS = 100
MAX_QUEUE = 100
MAX_ORIGINS = 50
MAX_TEXT = 255  # a one-line answer
MAX_TEXTAREA = 10000  # the contact's comment holds as much
MAX_COMMENT = 10000
MIN_API_KEY = 20  # keys are meant to be random (secrets.token_urlsafe); a word is no key
MAX_IDEMPOTENCY_KEY = 128
UTM_LIMIT = 200
API_KEY_SCHEME = "sha256$"
FIELD_SETTINGS = frozenset(
    {"name", "type", "label", "required", "placeholder", "maps_to", "options", "option_labels"}
)
SETTINGS = (
    "slug",
    "title",
    "fields",
    "scheme",
    "dedup_policy",
    "responsible_queue",
    "consent_text",
    "consent_required",
    "success_text",
    "redirect_url",
    "allowed_origins",
    "api_key",
    "is_active",
    "translations",
    "brand_name",
    "accent_color",
    "logo_url",
)


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a form; labels and placeholders per language ("en", "fr")."""

    name: str  # the HTML input name, [a-z][a-z0-9_]{0,31}
    type: str  # one of FIELD_TYPES
    label: dict[str, str]
    required: bool = False
    placeholder: dict[str, str] = field(default_factory=dict)
    maps_to: str | None = None  # a CONTACT_TARGETS entry or "custom.<code>"; None: kept only
    options: list[str] = field(default_factory=list)  # for select
    # What visitors reading another language see for each option (the options themselves are
    # what is stored): {"fr": ["Petite", "Grande"]}, one label per option, in order.
    option_labels: dict[str, list[str]] = field(default_factory=dict)

    def option_labels_in(self, language: str) -> list[str]:
        """The options as a visitor reading `language` sees them: their labels in that
        language, else the options as written."""
        labels = self.option_labels.get(language)
        return list(labels if labels and len(labels) == len(self.options) else self.options)

    def label_in(self, language: str, fallback: str = "en") -> str:
        """The label in `language`, else in `fallback` (the team's language), else English,
        else any."""
        return _in_language(self.label, language, fallback) or next(iter(self.label.values()))

    def in_language(self, language: str, fallback: str = "en") -> "FormField":
        """The field as a visitor reading `language` sees it: its label and placeholder in
        their language, else in `fallback` (the team's), else English; the other versions
        are left out."""
        label = self.label_in(language, fallback)
        placeholder = _in_language(self.placeholder, language, fallback)
        options = self.option_labels.get(language) or self.option_labels.get(fallback)
        option_labels = {language: list(options)} if options else {}
        if (
            self.label == {language: label}
            and self.placeholder == ({language: placeholder} if placeholder else {})
            and self.option_labels == option_labels
        ):
            return self
        return replace(
            self,
            label={language: label},
            placeholder={language: placeholder} if placeholder else {},
            option_labels=option_labels,
        )

    def to_spec(self) -> dict[str, Any]:
        """The JSON stored in `web_form.fields_spec` (`option_labels` only when there are)."""
        spec = {
            "name": self.name,
            "type": self.type,
            "label": dict(self.label),
            "required": self.required,
            "placeholder": dict(self.placeholder),
            "maps_to": self.maps_to,
            "options": list(self.options),
        }
        if self.option_labels:
            spec["option_labels"] = {k: list(v) for k, v in self.option_labels.items()}
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> "FormField":
        """A field from its stored JSON (checked when it was written)."""
        return cls(
            name=spec["name"],
            type=spec["type"],
            label=dict(spec.get("label") or {}),
            required=bool(spec.get("required")),
            placeholder=dict(spec.get("placeholder") or {}),
            maps_to=spec.get("maps_to"),
            options=list(spec.get("options") or []),
            option_labels={k: list(v) for k, v in (spec.get("option_labels") or {}).items()},
        )


def _in_language(texts: Mapping[str, str], language: str, fallback: str) -> str:
    """A text in `language`, else `fallback`, else English; "" when none of them has one."""
    return texts.get(language) or texts.get(fallback) or texts.get("en") or ""


# --- definitions ----------------------------------------------------------------------------


def check_slug(value: Any) -> str:
    """A form's slug: lower-case letters, digits and inner hyphens, at most 64 characters."""
    if not isinstance(value, str) or not SLUG.match(value.strip()):
        raise FieldError("must be 1 to 64 lower-case letters, digits or hyphens, like 'contact'")
    return value.strip()


def _texts(value: Any, what: str, *, required: bool) -> dict[str, str]:
    """Per-language texts: {"en": ..., "fr": ...}; a plain string is English."""
    if value is None or value == {}:
        if required:
            raise FieldError(f"{what} is required")
        return {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping):
        raise FieldError(f"{what} must map languages ({', '.join(LANGUAGES)}) to texts")
    out: dict[str, str] = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            raise FieldError(f"{what} language must be one of {', '.join(LANGUAGES)}")
        try:
            cleaned = clean_string(text, 200)
        except FieldError as exc:
            raise FieldError(f"{what} ({language}) {exc}") from exc
        if cleaned:
            out[language] = cleaned
    if required and not out:
        raise FieldError(f"{what} is required")
    return out


def check_field(raw: Any) -> FormField:
    """One field of a form definition; raises FieldError naming what is wrong.

    The first problem is reported, in this order: unknown settings, name, type, label,
    placeholder, required, maps_to, options, option labels.
    """
    if isinstance(raw, FormField):
        raw = raw.to_spec()
    if not isinstance(raw, Mapping):
        raise FieldError("must be a field (name, type, label...)")
    unknown = set(raw) - FIELD_SETTINGS
    if unknown:
        raise FieldError(f"has unknown settings: {', '.join(sorted(map(str, unknown)))}")
    name = _field_name(raw.get("name"))
    kind = raw.get("type", "text")
    if kind not in FIELD_TYPES:
        raise FieldError(f"type must be one of {', '.join(FIELD_TYPES)}")
    label = _texts(raw.get("label"), "label", required=True)
    placeholder = _texts(raw.get("placeholder"), "placeholder", required=False)
    try:
        required = parse_bool(raw.get("required", False))
    except FieldError as exc:
        raise FieldError(f"required {exc}") from exc
    maps_to = _maps_to(raw.get("maps_to") or None, kind)
    options = _options(raw.get("options") or [], kind)
    option_labels = _option_labels(raw.get("option_labels") or {}, kind, len(options))
    return FormField(name, kind, label, required, placeholder, maps_to, options, option_labels)


def _field_name(value: Any) -> str:
    """A field's input name: not one the adapter or the core reads for itself."""
    if not isinstance(value, str) or not FIELD_NAME.match(value):
        raise FieldError("name must be 1 to 32 lower-case letters, digits or _, like 'phone'")
    if value in RESERVED_NAMES:
        raise FieldError(f"name '{value}' is reserved")
    return value


def _maps_to(value: Any, kind: str) -> str | None:
    """What a field feeds: a contact target whose input types include `kind`, or a custom
    field; None when it feeds nothing."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("maps_to must be a contact field or custom.<code>")
    if value in TARGET_TYPES:
        if kind not in TARGET_TYPES[value]:
            allowed = " or ".join(TARGET_TYPES[value])
            raise FieldError(f"a field that feeds {value} must be of type {allowed}")
    elif not CUSTOM_CODE.match(value):
        raise FieldError(f"maps_to must be one of {', '.join(CONTACT_TARGETS)} or custom.<code>")
    return value


def _options(value: Any, kind: str) -> list[str]:
    """A select's options, trimmed, repeats dropped, order kept; other types have none."""
    if kind != "select":
        if value:
            raise FieldError("only a select has options")
        return []
    if not isinstance(value, list | tuple) or not value:
        raise FieldError("a select needs a list of options")
    options: list[str] = []
    for option in value:
        text = clean_string(option, 200) if isinstance(option, str) else None
        if not text:
            raise FieldError("options must be non-empty texts")
        if text not in options:
            options.append(text)
    if len(options) > MAX_OPTIONS:
        raise FieldError(f"has more than {MAX_OPTIONS} options")
    return options


def _option_labels(value: Any, kind: str, count: int) -> dict[str, list[str]]:
    """A select's option labels per language: one non-empty label per option, in order."""
    if not value:
        return {}
    if kind != "select":
        raise FieldError("only a select has options")
    if not isinstance(value, Mapping):
        raise FieldError(
            f"option_labels must map languages ({', '.join(LANGUAGES)}) to lists of labels"
        )
    out: dict[str, list[str]] = {}
    for language, labels in value.items():
        if language not in LANGUAGES:
            raise FieldError(f"option_labels language must be one of {', '.join(LANGUAGES)}")
        if not labels:
            continue
        if not isinstance(labels, list | tuple) or len(labels) != count:
            raise FieldError(f"option_labels ({language}) must give one label per option ({count})")
        cleaned = [clean_string(label, 200) if isinstance(label, str) else None for label in labels]
        if not all(cleaned):
            raise FieldError(f"option_labels ({language}) must be non-empty texts")
        out[language] = [str(label) for label in cleaned]
    return out


def check_fields(raw: Any) -> tuple[list[FormField], dict[str, str]]:
    """A form's fields, and the errors keyed `fields` or `fields.<index>`.

    A form needs a field that feeds the contact's name (a contact needs a first or last name);
    names and targets are unique within the form.
    """
    if not isinstance(raw, list | tuple) or not raw:
        return [], {"fields": "must be a non-empty list of fields"}
    if len(raw) > MAX_FIELDS:
        return [], {"fields": f"must be at most {MAX_FIELDS}"}
    errors: dict[str, str] = {}
    fields: list[FormField] = []
    names: set[str] = set()
    targets: set[str] = set()
    for index, item in enumerate(raw):
        try:
            checked = check_field(item)
        except FieldError as exc:
            errors[f"fields.{index}"] = str(exc)
            continue
        if checked.name in names:
            errors[f"fields.{index}"] = f"name '{checked.name}' is used twice"
        elif checked.maps_to and checked.maps_to in targets:
            errors[f"fields.{index}"] = f"{checked.maps_to} is fed by two fields"
        names.add(checked.name)
        if checked.maps_to:
            targets.add(checked.maps_to)
        fields.append(checked)
    if not errors and not targets & set(NAME_TARGETS):
        errors["fields"] = "one field must feed the contact's name, first_name or last_name"
    return fields, errors


def check_origin(value: Any) -> str:
    """An allowed origin, as browsers send it: scheme://host[:port], lower-case, no path; or
    "*" for any site (the adapter still asks such posts for the page's token)."""
    if not isinstance(value, str):
        raise FieldError("must be an origin such as https://example.com")
    text = value.strip().rstrip("/").lower()
    if text == "*":
        return text
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise FieldError(f"{value!r} has a bad port") from exc
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*", parts.hostname)
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or " " in text
    ):
        raise FieldError(f"{value!r} must be scheme://host[:port], such as https://example.com")
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port is not None else "")


def check_redirect(value: Any) -> str | None:
    """A redirect URL: http or https only (never javascript: or data:), at most 500 characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    bad = FieldError("must be an http:// or https:// address such as https://example.com/thanks")
    if not isinstance(value, str):
        raise bad
    text = value.strip()
    if len(text) > 500:
        raise FieldError("is longer than 500 characters")
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise bad from exc
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc  # "https://bank.com@evil.example" is a disguise
        or re.search(r"\s", text)
    ):
        raise bad
    return text


def _staff_ids(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list | tuple):
        raise FieldError("must be a list of staff ids")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not str(item).strip().isdigit():
            raise FieldError("must be a list of staff ids")
        number = int(str(item).strip())
        if not 0 < number < 2**31:
            raise FieldError("must be a list of staff ids")
        if number not in ids:
            ids.append(number)
    if len(ids) > MAX_QUEUE:
        raise FieldError(f"must have at most {MAX_QUEUE} staff members")
    return ids


def _origins(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list | tuple):
        raise FieldError("must be a list of origins such as https://example.com")
    origins: list[str] = []
    for item in value:
        origin = check_origin(item)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise FieldError(f"must have at most {MAX_ORIGINS} origins")
    return origins


def hash_api_key(key: str) -> str:
    """How an API key is stored: its SHA-256. Keys are long random strings, so a plain digest
    is as safe as a slow hash here and costs nothing on every server-to-server post."""
    return API_KEY_SCHEME + hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_matches(key: str | None, stored: str | None) -> bool:
    """Whether `key` is the one whose hash is `stored`, compared in constant time."""
    given = hash_api_key(key or "")
    # Compared even without a stored key, so that the answer takes the same time either way.
    expected = stored or API_KEY_SCHEME + "0" * 64
    return hmac.compare_digest(given.encode(), expected.encode()) and bool(stored) and bool(key)


def _api_key(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError("must be text")
    if not MIN_API_KEY <= len(value) <= 200 or not value.isprintable() or " " in value:
        raise FieldError(
            f"must be {MIN_API_KEY} to 200 characters without spaces (a random string)"
        )
    return hash_api_key(value)


def _choice(value: Any, allowed: Sequence[str]) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in allowed:
        raise FieldError(f"must be one of {', '.join(allowed)}")
    return text


# How each plain setting is checked; slug, api_key and fields have steps of their own.
_SETTING_CHECKS: dict[str, Callable[[Any], Any]] = {
    "title": lambda v: clean_string(v, 200),
    "scheme": lambda v: _choice(v, [s.value for s in FormScheme]),
    "dedup_policy": lambda v: _choice(v, [p.value for p in POLICIES]),
    "responsible_queue": _staff_ids,
    "consent_text": lambda v: clean_string(v, 2000, multiline=True),
    "consent_required": parse_bool,
    "success_text": lambda v: clean_string(v, 2000, multiline=True),
    "redirect_url": check_redirect,
    "allowed_origins": _origins,
    "is_active": parse_bool,
    "translations": look.check_translations,
    "brand_name": look.check_brand_name,
    "accent_color": look.check_accent_color,
    "logo_url": look.check_logo_url,
}


def check_definition(
    data: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a form's settings (all of them on create, the given ones on edit).

    Returns the `web_form` column values (`api_key` becomes `api_key_hash`, fields become
    `fields_spec`) and the errors by setting name, in this order: unknown settings, slug, the
    plain settings, api_key, fields, a missing title.
    """
    errors = {str(name): "is not a form setting" for name in data if name not in SETTINGS}
    out: dict[str, Any] = {}
    if "slug" in data and creating:
        _check_setting(out, errors, "slug", check_slug, data["slug"])
    elif "slug" in data:
        errors["slug"] = "cannot be changed (it is the form's address)"
    elif creating:
        errors["slug"] = "is required"
    for name, check in _SETTING_CHECKS.items():
        if name in data:
            _check_setting(out, errors, name, check, data[name])
    if "api_key" in data:
        _check_setting(out, errors, "api_key", _api_key, data["api_key"], column="api_key_hash")
    if "fields" in data:
        fields, field_errors = check_fields(data["fields"])
        errors.update(field_errors)
        out["fields_spec"] = [f.to_spec() for f in fields]
    if (creating or "title" in data) and not out.get("title") and "title" not in errors:
        errors["title"] = "is required"
    return out, errors


def _check_setting(
    out: dict[str, Any],
    errors: dict[str, str],
    name: str,
    check: Callable[[Any], Any],
    value: Any,
    *,
    column: str | None = None,
) -> None:
    """Check one setting: its value goes to `out[column or name]`, its problem to `errors`."""
    try:
        out[column or name] = check(value)
    except FieldError as exc:
        errors[name] = str(exc)


def check_consistency(values: Mapping[str, Any]) -> dict[str, str]:
    """Rules across settings, on the form as it will be saved."""
    if values.get("consent_required") and not values.get("consent_text"):
        return {"consent_text": "is required when consent is required (or make it optional)"}
    return {}


# --- submissions ----------------------------------------------------------------------------


def _safe_text(text: str) -> str:
    # PostgreSQL's jsonb holds no NUL, and lone surrogates (JSON "\ud800") cannot be encoded.
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def raw_payload(payload: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """The payload as received, in a form JSON columns on SQLite and PostgreSQL can hold."""
    return {_safe_text(str(key)): _raw_value(value, depth + 1) for key, value in payload.items()}


def _raw_value(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _safe_text(value)
    if depth < 8 and isinstance(value, Mapping):
        return raw_payload(value, depth)
    if depth < 8 and isinstance(value, list | tuple):
        return [_raw_value(v, depth + 1) for v in value]
    return _safe_text(str(value))


def idempotency_key(raw: str | None) -> str | None:
    """The key as stored: trimmed; a very long one is replaced by its digest (the column holds
    128 characters, and a cut would make two different keys equal)."""
    if raw is None or not str(raw).strip():
        return None
    text = _safe_text(str(raw).strip())
    if len(text) <= MAX_IDEMPOTENCY_KEY:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _single(value: Any) -> Any:
    """One value from what a form sent: a repeated input (a list) must hold one value."""
    if isinstance(value, list | tuple):
        values = [v for v in value if v is not None and not (isinstance(v, str) and not v.strip())]
        if len(values) > 1:
            raise FieldError("must be one value")
        return values[0] if values else None
    return value


def read_utm(payload: Mapping[str, Any], page_url: str | None) -> dict[str, str]:
    """UTM parameters from the form's utm_* inputs, else from the page address's query."""
    query: dict[str, list[str]] = {}
    if page_url:
        try:
            query = parse_qs(urlsplit(str(page_url)).query)
        except ValueError:
            query = {}
    utm: dict[str, str] = {}
    for key in UTM_KEYS:
        try:
            value = _single(payload.get(key))
        except FieldError:
            value = None
        if not isinstance(value, str) or not value.strip():
            value = next(iter(query.get(key, [])), None)
        if isinstance(value, str):
            text = _safe_text(clean_text(value))[:UTM_LIMIT]
            if text:
                utm[key] = text
    return utm


def _answer(form_field: FormField, value: Any, region: str | None) -> Any:
    """One non-empty answer checked by the field's type; returns what the draft keeps."""
    kind = form_field.type
    if kind == "checkbox":
        return parse_bool(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError("must be text")
    text = str(value)
    if kind == "textarea":
        return clean_string(text, MAX_TEXTAREA, multiline=True)
    cleaned = clean_string(text, MAX_TEXT)
    if cleaned is None:
        raise FieldError("is empty")
    checked = _typed_line(kind, form_field.maps_to, cleaned, region)
    return _option(form_field, checked) if kind == "select" else checked


def _typed_line(kind: str, target: str | None, text: str, region: str | None) -> str:
    """A one-line answer checked by the input's type or by what it feeds (a text input may
    feed the phone); numbers and dates come back in their stored form."""
    if kind == "email" or target == "email":
        try:
            normalize_email(text)
        except InvalidEmailError as exc:
            raise FieldError(str(exc)) from exc
    elif kind == "tel" or target == "phone":
        try:
            normalize_phone(text, region)
        except InvalidPhoneError as exc:
            raise FieldError(str(exc)) from exc
    elif kind == "url" or target == "website":
        parse_url(text)
    elif kind == "number":
        return format(parse_decimal(text).normalize(), "f")
    elif kind == "date" or target == "birthdate":
        return parse_date(text).isoformat()
    return text


def _option(form_field: FormField, text: str) -> str:
    """The select's option `text` names (the option itself or its label in a language), in
    the option's own spelling."""
    for index, option in enumerate(form_field.options):
        names = [option, *(labels[index] for labels in form_field.option_labels.values())]
        if any(text == name or text.casefold() == name.casefold() for name in names):
            return option
    raise FieldError("must be one of the options")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_answers(
    fields: Sequence[FormField],
    payload: Mapping[str, Any],
    *,
    consent_required: bool,
    region: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check what a visitor sent against the form: required fields, the consent checkbox and
    each value by its type. Inputs the form does not know are ignored (they stay in the raw
    submission). Returns the answers by field name and the errors by field name."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for form_field in fields:
        try:
            value = _single(payload.get(form_field.name))
            if _empty(value):
                if form_field.required:
                    raise FieldError(
                        "must be checked" if form_field.type == "checkbox" else "is required"
                    )
                continue
            answer = _answer(form_field, value, region)
            if form_field.type == "checkbox" and form_field.required and not answer:
                raise FieldError("must be checked")
        except FieldError as exc:
            errors[form_field.name] = str(exc)
            continue
        if answer is not None:
            answers[form_field.name] = answer
    if consent_required:
        try:
            consent = _single(payload.get(CONSENT_FIELD))
            accepted = not _empty(consent) and parse_bool(consent)
        except FieldError:
            accepted = False
        if not accepted:
            errors[CONSENT_FIELD] = "must be accepted"
    return answers, errors


@dataclass(slots=True)
class FormDraft:
    """Answers mapped to the contact: `data` in `create_contact`'s shape (plus
    `company_title`), the message block for the comment, the answers no contact field takes
    (label, value), and which form field each contact key came from (to report errors)."""

    data: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    extras: list[tuple[str, str]] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)

    def field_of(self, key: str) -> str:
        """The form field behind an error key of the core ("phones.0" -> "phone")."""
        base = key if FieldRef.from_data_key(key) else key.split(".")[0]
        return self.origin.get(base, key)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# Targets that become the contact's one channel of a kind: (data key, value type).
_CHANNEL_TARGETS = {
    "email": ("emails", "WORK"),
    "website": ("websites", "WORK"),
    "telegram": ("messengers", "TELEGRAM"),
}


def draft_from_answers(
    fields: Sequence[FormField], answers: Mapping[str, Any], *, region: str | None, language: str
) -> FormDraft:
    """Map checked answers to a contact draft (see CONTACT_TARGETS).

    Unmapped answers become "Label: value" lines after the message, so that what a visitor
    wrote reaches the card and not only the raw submission.
    """
    out = FormDraft()
    message: str | None = None
    for form_field in fields:
        if form_field.name not in answers:
            continue
        value = answers[form_field.name]
        target = form_field.maps_to
        if target is None:
            out.extras.append((form_field.label_in(language), _as_text(value)))
        elif target == "message":
            message = str(value)
            out.origin["comment"] = form_field.name
        else:
            for key in _put_answer(out.data, target, value, region):
                out.origin[key] = form_field.name
    lines = [f"{label}: {text}" for label, text in out.extras]
    out.message = "\n".join(part for part in (message, *lines) if part) or None
    return out


def _put_answer(data: dict[str, Any], target: str, value: Any, region: str | None) -> list[str]:
    """Put one answer into the draft's `data` where `target` says; returns the keys it filled
    (the core reports errors by these keys)."""
    if ref := FieldRef.from_data_key(target):
        data.setdefault("custom", {})[ref.code] = value
        return [target]
    if target == "name":
        parts = split_name(str(value))
        data.update(parts)
        return list(parts)
    if target == "phone":
        data["phones"] = [{"value": value, "value_type": phone_value_type(str(value), region)}]
        return ["phones"]
    if target in _CHANNEL_TARGETS:
        key, value_type = _CHANNEL_TARGETS[target]
        data[key] = [{"value": value, "value_type": value_type}]
        return [key]
    if target == "company":
        data["company_title"] = value
        return ["company_title", "companies"]
    data[target] = value  # first_name, last_name, honorific, position, birthdate
    return [target]


def comment_with(existing: str | None, block: str | None, limit: int = MAX_COMMENT) -> str | None:
    """The comment after a submission's message is appended; None when nothing changes (no
    message, or the same message already there: a repeated submission adds nothing).

    The staff's own notes are never cut: a message that does not fit is shortened.
    """
    if not block:
        return None
    if existing and block in existing:
        return None
    if not existing:
        return block if len(block) <= limit else block[: limit - 1] + "…"
    room = limit - len(existing) - 2
    if room < 20:
        return None  # the card is full; the message stays in the submission and the alert
    return existing + "\n\n" + (block if len(block) <= room else block[: room - 1] + "…")


def deal_title(form_title: str, name: str) -> str:
    """The title of a form's deal or quote: "<form title>: <name>" (at most 255 characters)."""
    title = f"{form_title}: {name}" if name else form_title
    return title if len(title) <= 255 else title[:254] + "…"


# --- the responsible queue ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffFacts:
    """What the queue needs to know about a staff member."""

    id: int
    is_active: bool
    is_admin: bool = False
    is_unreachable: bool = False


def queue_candidates(queue: Sequence[int], staff: Sequence[StaffFacts]) -> list[int]:
    """Who takes turns for new leads, in order: the active staff of the queue; an empty queue
    (or one with nobody active) falls back to the active administrators by id.

    Staff the bot cannot reach are passed over while someone else can hear about the lead (the
    administrators when nobody in the queue can); when nobody can, the queue still takes turns,
    so that the lead has a responsible.
    """
    by_id = {s.id: s for s in staff}
    queued = [by_id[i] for i in queue if i in by_id and by_id[i].is_active]
    admins = sorted((s for s in staff if s.is_admin and s.is_active), key=lambda s: s.id)
    for group in (queued, admins):
        reachable = [s.id for s in group if not s.is_unreachable]
        if reachable:
            return reachable
    return [s.id for s in queued or admins]


def pick_round_robin(candidates: Sequence[int], cursor: int) -> int | None:
    """The candidate whose turn it is at `cursor` (the form's counter of assigned leads)."""
    if not candidates:
        return None
    return candidates[cursor % len(candidates)]


def next_cursor(cursor: int) -> int:
    """The counter after one more lead; wraps long before the 32-bit column would overflow."""
    return (cursor + 1) % 2**30
