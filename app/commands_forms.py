"""`carnet forms list|show|create|edit|disable|held`: web forms, checked by the core
(crm.webforms)."""

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from app.terminal import add_json_flag, print_json, print_table, say, yes
from crm.actors import system_actor
from crm.errors import ValidationError
from crm.i18n import LANGUAGES
from models.enums import SubmissionStatus

if TYPE_CHECKING:
    from crm.webforms.definitions import FormDetails
    from crm.webforms.held import HeldSubmission

HELD_PER_PAGE = 50  # `forms held`: posts a page

# `forms list`: what became of the posts. A spam post or a refused one is not a lead.
OUTCOME_COLUMNS = (
    ("PENDING", (SubmissionStatus.RECEIVED,)),
    ("SPAM", (SubmissionStatus.SPAM,)),
    ("HELD", (SubmissionStatus.HELD,)),  # over a rate limit: kept for an admin to release
    ("REJECTED", (SubmissionStatus.REJECTED,)),
    ("FAILED", (SubmissionStatus.FAILED,)),
)


def _fields_file(text: str) -> list[Any]:
    """`--fields FILE` (or `-` for stdin): a JSON list of fields, or a form as `forms show`
    prints it (its "fields" are taken). Read while the arguments are parsed, before any event
    loop runs; the core checks each field."""
    try:
        raw = sys.stdin.read() if text == "-" else Path(text).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"{text} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if isinstance(data, dict) and "fields" in data:
        data = data["fields"]
    if not isinstance(data, list):
        raise argparse.ArgumentTypeError(
            f'{text} must hold a list of fields, or a form with a "fields" list'
        )
    return data


def _form_options(parser: argparse.ArgumentParser) -> None:
    """The settings `forms create` and `forms edit` share (checked by the core, one line)."""
    parser.add_argument("--scheme", metavar="contact|deal|quote", help="what a lead creates")
    parser.add_argument(
        "--dedup", metavar="allow|merge|replace", help="what a known visitor does (merge)"
    )
    parser.add_argument(
        "--queue", metavar="STAFF_IDS", help="staff ids taking leads in turn; '' for the admins"
    )
    parser.add_argument("--redirect", metavar="URL", help="where browsers go after a post")
    parser.add_argument("--success", metavar="TEXT", help="the text shown after a post")
    parser.add_argument(
        "--origins", metavar="A,B", help="sites that may embed the form (scheme://host[:port])"
    )
    parser.add_argument(
        "--api-key", metavar="KEY", help="a random key servers send in X-Carnet-Form-Key"
    )
    parser.add_argument(
        "--fields",
        type=_fields_file,
        metavar="FILE",
        help="the form's fields as JSON ('-' reads stdin); `forms show` prints the format",
    )
    consent = parser.add_mutually_exclusive_group()
    consent.add_argument("--consent", metavar="TEXT", help="the consent text (box required)")
    consent.add_argument("--no-consent", action="store_true", help="no consent checkbox")
    _look_options(parser)


# `--title-fr` and the like: a visitor-facing text in one language (option stem, the core's
# name, what the help calls it).
LANGUAGE_TEXTS = (
    ("title", "title", "title"),
    ("consent", "consent_text", "consent text"),
    ("success", "success_text", "text shown after a post"),
)
BRAND_OPTIONS = (
    ("brand_name", "brand_name", "NAME", "the company's name on the form's page"),
    ("accent_color", "accent_color", "#RRGGBB", "the page's accent colour, such as #1f5fbf"),
    ("logo_url", "logo_url", "URL", "the company's logo on the page (https:// only)"),
)


def _look_options(parser: argparse.ArgumentParser) -> None:
    """The texts per language and the brand; '' clears one (checked by the core)."""
    for language in LANGUAGES:
        for stem, _, what in LANGUAGE_TEXTS:
            parser.add_argument(
                f"--{stem}-{language}",
                metavar="TEXT",
                help=f"the {what} in {language.upper()} ('' removes it)",
            )
    for option, _, metavar, text in BRAND_OPTIONS:
        parser.add_argument(
            f"--{option.replace('_', '-')}", metavar=metavar, help=f"{text}; '' removes it"
        )


def add_commands(commands: Any) -> None:
    forms = commands.add_parser("forms", help="web forms", description="Web forms.")
    forms_commands = forms.add_subparsers(dest="forms_command", required=True, metavar="COMMAND")
    listing = forms_commands.add_parser(
        "list",
        help="list the web forms and what became of their posts",
        description="Every form with its posts by outcome: LEADS (a contact was created or "
        "merged), PENDING (not processed yet), SPAM, HELD (over a rate limit), REJECTED "
        "(invalid), FAILED.",
    )
    add_json_flag(listing)
    listing.set_defaults(handler=forms_list)
    show = forms_commands.add_parser(
        "show", help="print a form's settings and fields as JSON (the key only as has_api_key)"
    )
    show.add_argument("slug", metavar="SLUG", help="the form's address: /forms/SLUG")
    show.set_defaults(handler=forms_show)
    create = forms_commands.add_parser(
        "create", help="create a form (fields: name, phone, e-mail, message, unless --fields)"
    )
    create.add_argument("slug", metavar="SLUG", help="the form's address: /forms/SLUG")
    create.add_argument("--title", required=True, help="the form's title, shown on its page")
    _form_options(create)
    create.set_defaults(handler=forms_create)
    edit = forms_commands.add_parser("edit", help="change a form's settings")
    edit.add_argument("slug", metavar="SLUG", help="the form to change")
    edit.add_argument("--title", help="the form's title, shown on its page")
    _form_options(edit)
    edit.add_argument("--enable", action="store_true", help="serve a disabled form again")
    edit.set_defaults(handler=forms_edit)
    disable = forms_commands.add_parser("disable", help="stop serving a form")
    disable.add_argument("slug", metavar="SLUG", help="the form to stop serving")
    disable.set_defaults(handler=forms_disable)
    held = forms_commands.add_parser(
        "held",
        help="list a form's held posts (spam, over a rate limit), newest first",
        description="The posts of a form kept as spam or held over a rate limit, newest "
        "first, with the reason and the name and e-mail they give. Release one into a lead "
        "or delete it in the bot: /settings → Web forms → the form → Held.",
    )
    held.add_argument("slug", metavar="SLUG", help="the form's address: /forms/SLUG")
    held.add_argument("--page", type=int, default=1, metavar="N", help="page N (50 a page)")
    add_json_flag(held)
    held.set_defaults(handler=forms_held)


def _form_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, in the core's names."""
    changes: dict[str, Any] = {}
    for option, name in (
        ("title", "title"),
        ("scheme", "scheme"),
        ("dedup", "dedup_policy"),
        ("queue", "responsible_queue"),
        ("redirect", "redirect_url"),
        ("success", "success_text"),
        ("origins", "allowed_origins"),
        ("api_key", "api_key"),
        ("fields", "fields"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            changes[name] = value
    if args.consent is not None:
        changes.update(consent_text=args.consent, consent_required=True)
    elif args.no_consent:
        changes.update(consent_text=None, consent_required=False)
    if getattr(args, "enable", False):
        changes["is_active"] = True
    translations: dict[str, dict[str, str | None]] = {}
    for language in LANGUAGES:
        for stem, name, _ in LANGUAGE_TEXTS:
            value = getattr(args, f"{stem}_{language}", None)
            if value is not None:
                translations.setdefault(language, {})[name] = value or None
    if translations:
        changes["translations"] = translations
    for option, name, _, _ in BRAND_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            changes[name] = value or None
    return changes


def _outcomes(details: "FormDetails") -> dict[str, int]:
    """Every outcome with its count, zeros included (a script need not guess the keys)."""
    return {status.value: details.count(status) for status in SubmissionStatus}


def _document(details: "FormDetails") -> dict[str, Any]:
    """A form's settings in the core's names; its fields as `--fields` takes them back."""
    form = details.form
    return {
        "slug": form.slug,
        "title": form.title,
        "scheme": form.scheme,
        "dedup_policy": details.dedup_policy,
        "responsible_queue": details.responsible_queue,
        "consent_required": form.consent_required,
        "consent_text": form.consent_text,
        "success_text": form.success_text,
        "redirect_url": form.redirect_url,
        "allowed_origins": form.allowed_origins,
        "translations": form.translations,
        "brand_name": form.brand_name,
        "accent_color": form.accent_color,
        "logo_url": form.logo_url,
        "has_api_key": form.has_api_key,
        "is_active": details.is_active,
        "submissions": details.submissions,
        "leads": details.leads,
        "outcomes": _outcomes(details),
        "fields": [field.to_spec() for field in form.fields],
    }


def _describe(details: "FormDetails", verb: str = "") -> str:
    """One line about a form (never its API key)."""
    form = details.form
    queue = ", ".join(f"#{i}" for i in details.responsible_queue) or "admins"
    state = "active" if details.is_active else "disabled"
    consent = "required" if form.consent_required else "off"
    return (
        f"{verb}form '{form.slug}' ({state}): scheme {form.scheme},"
        f" duplicates {details.dedup_policy}, queue {queue}, consent {consent},"
        f" API key {yes(form.has_api_key)}; served at /forms/{form.slug}"
    )


async def forms_list(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions

    every = await definitions.form_details(system_actor("cli"))
    if args.json:
        print_json(
            [
                {
                    key: value
                    for key, value in _document(details).items()
                    if key in ("slug", "title", "scheme", "dedup_policy", "is_active")
                    or key in ("submissions", "leads", "outcomes")
                }
                for details in every
            ]
        )
        return 0
    rows = []
    for details in every:
        title = details.form.title
        rows.append(
            [
                details.slug,
                title if len(title) <= 40 else title[:39] + "…",
                details.form.scheme,
                details.dedup_policy,
                yes(details.is_active),
                str(details.leads),
                *(str(sum(details.count(s) for s in group)) for _, group in OUTCOME_COLUMNS),
            ]
        )
    header = ["SLUG", "TITLE", "SCHEME", "POLICY", "ACTIVE", "LEADS"]
    print_table([*header, *(name for name, _ in OUTCOME_COLUMNS)], rows)
    return 0


async def forms_show(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions

    print_json(_document(await definitions.get_form(system_actor("cli"), args.slug)))
    return 0


async def forms_create(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions

    values = {"slug": args.slug, **_form_changes(args)}
    say(_describe(await definitions.create_form(system_actor("cli"), values), "created "))
    return 0


async def forms_edit(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions

    changes = _form_changes(args)
    if not changes:
        raise ValidationError({"options": "give at least one setting to change"})
    say(_describe(await definitions.edit_form(system_actor("cli"), args.slug, changes)))
    return 0


async def forms_disable(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions

    await definitions.disable_form(system_actor("cli"), args.slug)
    say(f"form '{args.slug}' is disabled (its submissions are kept)")
    return 0


def _held_document(item: "HeldSubmission") -> dict[str, Any]:
    return {
        "id": item.id,
        "received_at": item.received_at.isoformat(),
        "status": item.status,
        "reason": item.reason,
        "name": item.name,
        "email": item.email,
    }


async def forms_held(settings: Settings, args: argparse.Namespace) -> int:
    from crm.webforms import definitions, held

    actor = system_actor("cli")
    details = await definitions.get_form(actor, args.slug)
    page = await held.list_held(actor, details.form.id, args.page - 1, HELD_PER_PAGE)
    if args.json:
        print_json(
            {
                "slug": page.slug,
                "total": page.total,
                "page": page.page + 1,
                "pages": page.pages,
                "submissions": [_held_document(item) for item in page.items],
            }
        )
        return 0
    rows = [
        [
            str(item.id),
            item.received_at.strftime("%Y-%m-%d %H:%M"),
            item.status,
            item.reason or "",
            item.name or "",
            item.email or "",
        ]
        for item in page.items
    ]
    print_table(["ID", "RECEIVED", "STATUS", "REASON", "NAME", "E-MAIL"], rows)
    where = f" (page {page.page + 1} of {page.pages}: --page N)" if page.pages > 1 else ""
    count = "1 held post" if page.total == 1 else f"{page.total} held posts"
    say(f"{count}{where}; release or delete them in the bot: /settings → Web forms")
    return 0
