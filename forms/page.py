"""The hosted form page: accessible, mobile-friendly HTML with no external assets.

Every value that reaches the page (labels, texts, what the visitor typed, error messages)
goes through `escape`; attributes are always double-quoted, which `escape` covers.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from crm.i18n import LANGUAGES, Translator, escape, pick_language
from crm.rules.webform_look import logo_origin
from crm.rules.webforms import CONSENT_FIELD as CONSENT
from crm.rules.webforms import FormField
from crm.webforms.definitions import PublicForm

FORMS_LOCALES = Path(__file__).parent / "locales"
TRUE_VALUES = (True, "on", "true", "1", "yes")
# Browser autofill hints by the contact field an input feeds (WHATWG autofill tokens).
AUTOCOMPLETE = {
    "name": "name",
    "first_name": "given-name",
    "last_name": "family-name",
    "honorific": "honorific-prefix",
    "phone": "tel",
    "email": "email",
    "website": "url",
    "company": "organization",
    "position": "organization-title",
    "birthdate": "bday",
}

CSS = """
:root{--accent:#1f5fbf;--on-accent:#fff}
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1b1b1b;background:#f5f5f7}
main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
.field{margin:0 0 1.1rem}
label,legend{display:block;font-weight:600;margin:0 0 .25rem;padding:0}
input,select,textarea{display:block;width:100%;font:inherit;color:inherit;background:#fff;
padding:.6rem .7rem;border:2px solid #6b6b6b;border-radius:.35rem}
textarea{min-height:8rem;resize:vertical}
input:focus,select:focus,textarea:focus,button:focus,a:focus{outline:3px solid #ffbf47;
outline-offset:1px}
fieldset{border:0;padding:0;margin:0 0 1.1rem;min-width:0}
.check{display:flex;gap:.6rem;align-items:flex-start}
.check input{width:1.4rem;height:1.4rem;margin:.15rem 0 0;padding:0;flex:none}
.check label{font-weight:400;margin:0;white-space:pre-line}
.invalid input,.invalid select,.invalid textarea{border-color:#b3261e}
.error{color:#b3261e;font-weight:600;margin:.1rem 0 .35rem}
.summary{border:3px solid #b3261e;background:#fff;padding:.75rem 1rem;margin:0 0 1.25rem}
.summary p{margin:0 0 .5rem;font-weight:600}.summary ul{margin:0;padding-left:1.2rem}
.summary a{color:#b3261e}
button{font:inherit;font-weight:600;min-height:44px;padding:.7rem 1.4rem;border:0;
border-radius:.35rem;background:var(--accent);color:var(--on-accent);cursor:pointer}
.note{color:#4a4a4a;font-size:.9rem}
.sent{background:#fff;border-left:5px solid #2e7d32;padding:1rem;white-space:pre-line}
.hp{position:absolute!important;left:-10000px!important;top:auto;width:1px;height:1px;
overflow:hidden}
.vh{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
.brand{display:flex;gap:.75rem;align-items:center;margin:0 0 1.25rem;padding:0 0 .75rem;
border-bottom:4px solid var(--accent)}
.brand img{display:block;max-height:3rem;max-width:12rem;width:auto;height:auto}
.brand-name{font-weight:700;font-size:1.1rem}
"""
ACCENT = re.compile(r"^#[0-9a-f]{6}$")  # the core stores #rrggbb only; checked again here
DARK_TEXT, LIGHT_TEXT = "#1b1b1b", "#fff"


def negotiate_language(override: str | None, accept_language: str | None, default: str) -> str:
    """`?lang=` if supported, else the best supported tag of Accept-Language, else `default`."""
    if override and pick_language(override, "") in LANGUAGES:
        return pick_language(override)
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return pick_language(default)
        language = pick_language(tag, "")
        if language in LANGUAGES:
            return language
    return pick_language(default)


def localized(texts: Mapping[str, str], language: str) -> str:
    """A placeholder in `language`, else English, else any language, else nothing."""
    for key in (language, "en"):
        if texts.get(key):
            return texts[key]
    return next((text for text in texts.values() if text), "")


def form_url(slug: str) -> str:
    """The path of a form's page and endpoint."""
    return f"/forms/{quote(slug, safe='')}"


# The core's messages that mean the same whatever the field, by exact text, then by beginning.
_MESSAGE_KEYS = {
    "is required": "page-error-required",
    "is empty": "page-error-required",
    "must be checked": "page-error-checked",
    "must be one of the options": "page-error-option",
    "must be one value": "page-error-one-value",
}
_MESSAGE_START_KEYS = (
    ("is longer than", "page-error-too-long"),
    ("needs a country code", "page-error-phone-country"),
)
# Any other problem with a phone, an e-mail or a web address, by input type or by target.
_FIELD_KEYS = (
    ("tel", "phone", "page-error-phone"),
    ("email", "email", "page-error-email"),
    ("url", "website", "page-error-url"),
)
# Then what is left, by beginning.
_LAST_START_KEYS = (
    ("must be a date", "page-error-date"),
    ("must be a number", "page-error-number"),
    ("must be a whole number", "page-error-number"),
)


def _error_key(spec: FormField | None, name: str, message: str) -> str:
    """The message key that explains the core's `message` about field `name`; the order of the
    look-ups matters (a phone's "is required" is explained as required, not as a bad phone)."""
    if name == CONSENT and message == "must be accepted":
        return "page-error-consent"
    if message in _MESSAGE_KEYS:
        return _MESSAGE_KEYS[message]
    kind, target = (spec.type, spec.maps_to) if spec is not None else ("", None)
    typed_key = next((key for k, t, key in _FIELD_KEYS if kind == k or target == t), None)
    return (
        _start_key(message, _MESSAGE_START_KEYS)
        or typed_key
        or _start_key(message, _LAST_START_KEYS)
        or "page-error-other"
    )


def _start_key(message: str, keys: tuple[tuple[str, str], ...]) -> str | None:
    return next((key for start, key in keys if message.startswith(start)), None)


def explain_errors(form: PublicForm, errors: Mapping[str, str], t: Translator) -> dict[str, str]:
    """The core's errors ("is required") as sentences in the visitor's language (plain text).

    The core words its reasons in English fragments after a field name; known ones are
    translated, others are shown after the field's label as they are.
    """
    specs = {f.name: f for f in form.fields}
    explained: dict[str, str] = {}
    for name, message in errors.items():
        spec = specs.get(name)
        if spec is None and name != CONSENT:
            explained[name] = message
            continue
        label = spec.label_in(t.language) if spec else t.plain("page-consent-legend")
        key = _error_key(spec, name, message)
        explained[name] = t.plain(key, label=label, message=message)
    return explained


@dataclass(frozen=True, slots=True)
class PageView:
    """Everything the hosted page shows: the form, its token and what the visitor typed."""

    form: PublicForm
    token: str
    trap: str
    hidden: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    # Why the post was not taken when no field is at fault (the database is unavailable).
    notice: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def _checked(value: Any) -> bool:
    if isinstance(value, list):
        return any(_checked(v) for v in value)
    return value in TRUE_VALUES or (isinstance(value, str) and value.lower() in TRUE_VALUES)


def _luminance(color: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def accent_text_color(accent: str) -> str:
    """The text colour that reads best on a button of the accent colour (WCAG contrast):
    white on a dark accent, near-black on a light one."""
    light = _luminance(accent)
    on_white = 1.05 / (light + 0.05)
    on_dark = (light + 0.05) / (_luminance(DARK_TEXT) + 0.05)
    return LIGHT_TEXT if on_white >= on_dark else DARK_TEXT


def _accent_style(form: PublicForm | None) -> str:
    """The form's accent colour as the page's CSS variables ("" without one)."""
    accent = form.accent_color if form else None
    if not accent or not ACCENT.match(accent):
        return ""
    return f"<style>:root{{--accent:{accent};--on-accent:{accent_text_color(accent)}}}</style>\n"


def _brand(form: PublicForm) -> str:
    """The company's logo and name over the form ("" when the form has neither). The logo
    is decorative beside the name, and alone it would only repeat the title below: no alt."""
    parts = []
    if form.logo_url and logo_origin(form.logo_url):
        parts.append(f'<img src="{escape(form.logo_url)}" alt="" referrerpolicy="no-referrer">')
    if form.brand_name:
        parts.append(f'<span class="brand-name">{escape(form.brand_name)}</span>')
    if not parts:
        return ""
    return '<header class="brand">' + "".join(parts) + "</header>\n"


def _document(language: str, title: str, body: str, form: PublicForm | None = None) -> str:
    brand = _brand(form) if form else ""
    return (
        f'<!doctype html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n{_accent_style(form)}</head>\n<body>\n"
        f"<main>\n{brand}{body}</main>\n</body>\n</html>\n"
    )


def _error(t: Translator, fid: str, message: str | None) -> str:
    if not message:
        return ""
    return (
        f'<p class="error" id="{fid}-error"><span class="vh">{t("page-error-prefix")} </span>'
        f"{escape(message)}</p>\n"
    )


def _aria(fid: str, message: str | None, required: bool) -> str:
    attrs = " required" if required else ""
    if message:
        attrs += f' aria-invalid="true" aria-describedby="{fid}-error"'
    return attrs


def _control(spec: FormField, t: Translator, value: Any, message: str | None) -> str:
    fid = escape(f"f-{spec.name}")
    name = escape(spec.name)
    aria = _aria(fid, message, spec.required)
    placeholder = localized(spec.placeholder, t.language)
    hint = escape(placeholder)
    if spec.type == "textarea":
        ph = f' placeholder="{hint}"' if placeholder else ""
        return f'<textarea id="{fid}" name="{name}"{ph}{aria}>{escape(_text(value))}</textarea>\n'
    if spec.type == "select":
        chosen = _text(value)
        options = [f'<option value="">{t("page-choose")}</option>']
        texts = spec.option_labels_in(t.language)
        for option, text in zip(spec.options, texts, strict=True):
            selected = " selected" if option == chosen else ""
            options.append(f'<option value="{escape(option)}"{selected}>{escape(text)}</option>')
        return f'<select id="{fid}" name="{name}"{aria}>\n' + "\n".join(options) + "\n</select>\n"
    kind = spec.type  # text, email, tel, url, number or date: the core checked it
    extra = f' placeholder="{hint}"' if placeholder else ""
    if spec.maps_to in AUTOCOMPLETE:
        extra += f' autocomplete="{AUTOCOMPLETE[spec.maps_to]}"'
    if kind == "number":
        extra += ' inputmode="decimal" step="any"'
    return (
        f'<input type="{kind}" id="{fid}" name="{name}" value="{escape(_text(value))}"'
        f"{extra}{aria}>\n"
    )


def _label(spec: FormField, t: Translator) -> str:
    text = escape(spec.label_in(t.language))
    if spec.required:
        text += f'<span aria-hidden="true"> *</span><span class="vh"> ({t("page-required")})</span>'
    return text


def _field(spec: FormField, t: Translator, value: Any, message: str | None) -> str:
    fid = escape(f"f-{spec.name}")
    invalid = " invalid" if message else ""
    if spec.type == "checkbox":
        checked = " checked" if _checked(value) else ""
        return (
            f'<div class="field{invalid}">\n{_error(t, fid, message)}<div class="check">'
            f'<input type="checkbox" id="{fid}" name="{escape(spec.name)}" value="on"{checked}'
            f"{_aria(fid, message, spec.required)}>"
            f'<label for="{fid}">{_label(spec, t)}</label></div>\n</div>\n'
        )
    return (
        f'<div class="field{invalid}">\n<label for="{fid}">{_label(spec, t)}</label>\n'
        f"{_error(t, fid, message)}{_control(spec, t, value, message)}</div>\n"
    )


def _consent(view: PageView, t: Translator) -> str:
    form = view.form
    message = view.errors.get(CONSENT)
    checked = " checked" if _checked(view.values.get(CONSENT)) else ""
    invalid = " invalid" if message else ""
    mark = '<span aria-hidden="true"> *</span>' if form.consent_required else ""
    return (
        f'<fieldset class="field{invalid}">\n<legend>{t("page-consent-legend")}{mark}</legend>\n'
        f'{_error(t, "f-consent", message)}<div class="check">'
        f'<input type="checkbox" id="f-consent" name="consent" value="on"{checked}'
        f"{_aria('f-consent', message, form.consent_required)}>"
        f'<label for="f-consent">{escape(form.consent_text)}</label></div>\n</fieldset>\n'
    )


def _summary(view: PageView, t: Translator) -> str:
    if view.notice:
        return (
            '<div class="summary" role="alert" tabindex="-1" id="errors">\n'
            f"<p>{escape(view.notice)}</p>\n</div>\n"
        )
    if not view.errors:
        return ""
    names = {f.name for f in view.form.fields} | {CONSENT}
    items = []
    for name, message in view.errors.items():
        if name in names:
            link = escape(f"#f-{name}")
            items.append(f'<li><a href="{link}">{escape(message)}</a></li>')
        else:
            items.append(f"<li>{escape(message)}</li>")
    return (
        '<div class="summary" role="alert" tabindex="-1" id="errors">\n'
        f"<p>{t('page-error-summary')}</p>\n<ul>\n" + "\n".join(items) + "\n</ul>\n</div>\n"
    )


def form_page(view: PageView, t: Translator) -> str:
    """The hosted page, blank or again with the visitor's values and the errors."""
    form = view.form
    title = escape(form.title)
    fields = "".join(
        _field(spec, t, view.values.get(spec.name), view.errors.get(spec.name))
        for spec in form.fields
    )
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'
        for name, value in view.hidden.items()
    )
    trap = (
        f'<div class="hp" aria-hidden="true"><label for="hp-input">{t("page-trap-label")}</label>'
        f'<input type="text" id="hp-input" name="{escape(view.trap)}" value="" tabindex="-1"'
        ' autocomplete="off"></div>\n'
    )
    # The core shows the consent checkbox whenever the form has a consent text.
    consent = _consent(view, t) if form.consent_text else ""
    body = (
        f"<h1>{title}</h1>\n{_summary(view, t)}"
        f'<form method="post" action="{escape(form_url(form.slug))}" novalidate>\n'
        f'<input type="hidden" name="_token" value="{escape(view.token)}">\n{hidden}'
        f"{fields}{consent}{trap}"
        f'<p class="note">{t("page-required-note")}</p>\n'
        f'<button type="submit">{t("page-submit")}</button>\n</form>\n'
    )
    # Screen readers announce the title first: a page shown again says it has errors.
    head = f"{t('page-error-prefix')} {title}" if view.errors or view.notice else title
    return _document(t.language, head, body, form)


def sent_page(form: PublicForm, t: Translator) -> str:
    """The page a browser lands on after a successful post (unless the form redirects)."""
    text = escape(form.success_text) if form.success_text else t("page-sent-default")
    back = escape(f"{form_url(form.slug)}?lang={t.language}")
    body = (
        f"<h1>{escape(form.title)}</h1>\n"
        f'<p class="sent" role="status">{text}</p>\n'
        f'<p><a href="{back}">{t("page-back")}</a></p>\n'
    )
    return _document(t.language, escape(form.title), body, form)


def message_page(t: Translator, title_key: str, message_key: str) -> str:
    """A page for what went wrong before any form could be shown (unknown form, bad body)."""
    title = t(title_key)
    return _document(t.language, title, f"<h1>{title}</h1>\n<p>{t(message_key)}</p>\n")
