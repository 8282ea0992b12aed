"""Taking in new contacts (F4, F6): drafts from every way in, saved after the duplicate check
or merged into the contact they duplicate.

A draft is a JSON-serialisable dict in the shape `crm.contacts.create_contact` takes, plus
`company_title`: a company named by its title, found among the companies the actor may read or
created. Adapters keep drafts between two messages (e.g. in Redis) and hand them back here.

A contact coming in already validated (a web form lead, an import row) goes through the same
operations: `preferred_match` picks the duplicate it goes to, then `create_with_company`, or the
duplicate policies `merge_into` and `replace_into` (each appends the incoming message to the
comment, as `append_message` does alone). Values nobody vouches for (an anonymous web form
post) go through `propose_into`: only what adds to the contact is written, the rest comes back
as a `Proposal` for the contact's staff to apply or ignore.
"""

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from tortoise.transactions import in_transaction

from crm import catalog, companies, config, contacts, customfields
from crm.actors import Actor
from crm.contacts import CleanContact, ContactCard
from crm.db import connection, dialect
from crm.duplicates import FILLABLE, DuplicateMatch, lock_duplicate_keys
from crm.errors import DuplicateContactError, PermissionDeniedError, ValidationError
from crm.layout import card_layout
from crm.permissions import require_any, scope_q
from crm.rules import freetext, vcard
from crm.rules.fieldref import FieldRef
from crm.rules.fields import CHANNEL_FIELDS, FieldError, clean_string
from crm.rules.text import words
from crm.rules.vcard import VCardEntry
from crm.rules.webforms import UTM_KEYS, comment_with
from models import Company, Contact, CustomField
from models.enums import Action, ChannelKind, FieldType

Draft = dict[str, Any]

MAX_VCARD_BYTES = 1_000_000  # a phone's whole address book is far smaller; /import is for more
MAX_VCARDS = vcard.MAX_CARDS
COMPANY_TITLE = "company_title"
# Fields nobody types when adding a contact: they get their defaults (the creator is the
# responsible, the contact is not opened and is exported, no observers, no UTM).
NOT_ASKED = {
    "responsible_id",
    "observers",
    "opened",
    "include_in_export",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
}
DATE_LIKE = {"birthdate"}
MULTILINE_FIELDS = {"comment", "source_description"}
_LIST_SEPARATORS = re.compile(r"[\n,;]+")
# What makes a duplicate the one an incoming contact goes to, before a same full name.
CHANNEL_MATCHES = ("phone", "email", "telegram")


# --- drafts from each way in ----------------------------------------------------------------


def ensure_can_add(actor: Actor) -> None:
    """Raise PermissionDeniedError for staff who may not add contacts (before a file is read)."""
    require_any(actor, Action.ADD)


def draft_from_text(text: str) -> Draft:
    """A one-line contact ("Jean Dupont +33 6 12 34 56 78 jean@x.fr Acme") as a draft."""
    return freetext.parse_line(text, config.current().default_phone_region)


def draft_from_telegram_contact(
    phone_number: str,
    first_name: str | None,
    last_name: str | None = None,
    vcard_text: str | None = None,
) -> Draft:
    """A contact shared in Telegram; what its vCard adds (e-mails, company...) is kept too."""
    draft = freetext.telegram_contact(phone_number, first_name, last_name)
    if vcard_text and len(vcard_text) <= 10_000:  # Telegram allows 2048 bytes
        try:
            entries = vcard.parse_vcards(vcard_text, max_cards=1)
        except vcard.VCardError:
            entries = []
        if entries and entries[0].draft:
            _complete(draft, entries[0].draft)
    return draft


def draft_from_forward(
    first_name: str | None, last_name: str | None = None, username: str | None = None
) -> Draft:
    """The sender of a forwarded message: name and Telegram username."""
    return freetext.forwarded_sender(first_name, last_name, username)


def draft_from_hidden_sender(name: str) -> Draft:
    """The sender of a forwarded message who hides their account: only their name."""
    return freetext.hidden_sender(name)


def _complete(draft: Draft, extra: Draft) -> None:
    """Add `extra`'s values to `draft` without replacing any (channel lists are extended;
    the core drops repeated numbers and addresses)."""
    for key, value in extra.items():
        if key in CHANNEL_FIELDS:
            draft[key] = [*draft.get(key, []), *value]
        else:
            draft.setdefault(key, value)


async def drafts_from_vcard(data: bytes) -> list[VCardEntry]:
    """The cards of a .vcf file (at most 1 MB and 500 cards), read in a worker thread.

    Raises ValidationError (key `file`) for a file that is too big or has no card; a card that
    cannot be read is an entry with an error, never an exception.
    """
    if len(data) > MAX_VCARD_BYTES:
        raise ValidationError({"file": "is larger than 1 MB; split it into smaller files"})
    try:
        return await asyncio.to_thread(vcard.parse_vcards, data, MAX_VCARDS)
    except vcard.VCardError as exc:
        raise ValidationError({"file": str(exc)}) from exc


# --- the step-by-step dialog ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """An answer offered as a button: `id` goes into the button, `value` into the draft."""

    id: int
    label: str
    value: Any


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the create dialog, named like the layout's field (`uf:<code>` for a
    custom field, `companies` for the company title).

    `kind`: text, multiline, channel, date, datetime, company, choice or boolean.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    custom: CustomField | None = None


def _custom_question(definition: CustomField) -> Question | None:
    kinds = {
        FieldType.TEXT: "multiline",
        FieldType.DATE: "date",
        FieldType.DATETIME: "datetime",
        FieldType.BOOLEAN: "boolean",
        FieldType.LIST: "choice",
    }
    if definition.type == FieldType.STAFF:
        return None  # a staff member's id is not typed; the field keeps its default
    choices: tuple[Choice, ...] = ()
    if definition.type == FieldType.LIST:
        choices = tuple(
            Choice(
                index,
                str(o.get("label", o["key"])) if isinstance(o, dict) else str(o),
                str(o["key"]) if isinstance(o, dict) else str(o),
            )
            for index, o in enumerate(definition.options or [])
        )
    elif definition.type == FieldType.BOOLEAN:
        choices = (Choice(1, "yes", True), Choice(0, "no", False))
    return Question(
        name=FieldRef(definition.code).card_field,
        kind=kinds.get(definition.type, "text"),
        required=definition.required,
        choices=choices,
        custom=definition,
    )


async def dialog_questions(actor: Actor) -> list[Question]:
    """What the create dialog asks, in the card layout's order: its visible fields except those
    nobody types (NOT_ASKED), then any required custom field the layout hides.

    Raises PermissionDeniedError for staff who may not add contacts (before the first question).
    """
    require_any(actor, Action.ADD)
    definitions = await customfields.active_fields()
    questions: list[Question] = []
    for section in await card_layout():
        for name in section.fields:
            question = await _question(name, definitions)
            if question is not None:
                questions.append(question)
    asked = {q.name for q in questions}
    for code, definition in definitions.items():
        if definition.required and FieldRef(code).card_field not in asked:
            question = _custom_question(definition)
            if question is not None:
                questions.append(question)
    return questions


async def _question(name: str, definitions: dict[str, CustomField]) -> Question | None:
    if name in NOT_ASKED:
        return None
    if ref := FieldRef.from_card_field(name):
        definition = definitions.get(ref.code)
        return _custom_question(definition) if definition else None
    if name in ("type_id", "source_id"):
        items = await (catalog.list_types() if name == "type_id" else catalog.list_sources())
        if not items:
            return None
        return Question(name, "choice", choices=tuple(Choice(i.id, i.name, i.id) for i in items))
    if name in CHANNEL_FIELDS:
        return Question(name, "channel")
    if name == "companies":
        return Question(name, "company")
    if name in DATE_LIKE:
        return Question(name, "date")
    if name in MULTILINE_FIELDS:
        return Question(name, "multiline")
    if name in contacts.KNOWN_FIELDS:
        return Question(name, "text")
    return None


def must_answer(question: Question, draft: Draft, asked: Sequence[str]) -> bool:
    """Whether the dialog may not offer "Skip": a required custom field, or the second of first
    and last name when the other one was asked and left empty (a contact needs one of them)."""
    if question.required:
        return True
    other = {"first_name": "last_name", "last_name": "first_name"}.get(question.name)
    return other is not None and other in asked and not draft.get(other)


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _company_title(value: Any) -> str:
    try:
        title = clean_string(value, 255)
    except FieldError as exc:
        raise ValidationError({"companies": str(exc)}) from exc
    if not title:
        raise ValidationError({"companies": "is empty"})
    return title


async def _catalog_id(name: str, value: str) -> int:
    """A contact type or source given by its name (any case)."""
    items = await (catalog.list_types() if name == "type_id" else catalog.list_sources())
    for item in items:
        if item.name.casefold() == value.strip().casefold():
            return item.id
    raise ValidationError({name: "must be one of " + ", ".join(i.name for i in items)})


async def validate_field(name: str, value: Any) -> Any:
    """Check one answer of the dialog with the core's rules; returns what the draft keeps.

    `name` is a question's name. Channels accept several values (one per line, or separated by
    commas or semicolons). Raises ValidationError with the core's message.
    """
    if name in ("companies", COMPANY_TITLE):
        return _company_title(value)
    definitions = await customfields.active_fields()
    data: dict[str, Any]
    ref = FieldRef.from_card_field(name)
    if ref:
        data = {"custom": {ref.code: value}}
    elif name in CHANNEL_FIELDS:
        items = _LIST_SEPARATORS.split(value) if isinstance(value, str) else value
        data = {name: [v for v in items if not isinstance(v, str) or v.strip()]}
    elif name in ("type_id", "source_id") and isinstance(value, str):
        data = {name: value if value.strip().isdigit() else await _catalog_id(name, value)}
    elif name in contacts.KNOWN_FIELDS and name not in ("custom", "observers", "companies"):
        data = {name: value}
    else:
        raise ValidationError({name: "is not a contact field"})
    clean = await contacts.clean_input(data, definitions, creating=False)
    if ref:
        values = clean.custom.get(ref.code, [])
        if not values:
            raise ValidationError({ref.data_key: "is empty"})
        return [_json_safe(v) for v in values]
    if name in CHANNEL_FIELDS:
        kind = CHANNEL_FIELDS[name]
        cleaned = clean.channels.get(kind, [])
        if not cleaned:
            raise ValidationError({name: "is empty"})
        return [
            {
                "value": v.value,
                "value_type": freetext.phone_value_type(v.normalized, None)
                if kind == ChannelKind.PHONE
                else v.value_type,
            }
            for v in cleaned
        ]
    result = clean.scalars.get(name)
    if result is None:
        raise ValidationError({name: "is empty"})
    return _json_safe(result)


def put_answer(draft: Draft, name: str, value: Any) -> None:
    """Keep a validated answer in the draft under the key `create_contact` takes."""
    if ref := FieldRef.from_card_field(name):
        draft.setdefault("custom", {})[ref.code] = value
    elif name == "companies":
        draft[COMPANY_TITLE] = value
    else:
        draft[name] = value


def drop_answer(draft: Draft, name: str) -> None:
    """Forget a question's answer (it was skipped)."""
    if ref := FieldRef.from_card_field(name):
        draft.get("custom", {}).pop(ref.code, None)
        if not draft.get("custom"):
            draft.pop("custom", None)
    else:
        draft.pop(COMPANY_TITLE if name == "companies" else name, None)


def question_of_error(key: str) -> str:
    """The question that answers a validation error's key ("phones.1" → phones)."""
    if ref := FieldRef.from_data_key(key):
        return ref.card_field
    base = key.split(".")[0]
    return "companies" if base == COMPANY_TITLE else base


# --- saving a draft -------------------------------------------------------------------------


def _split_draft(draft: Draft) -> tuple[dict[str, Any], str | None]:
    """The contact's fields and the company title, checked."""
    if not isinstance(draft, dict):
        raise ValidationError({"draft": "must be a set of contact fields"})
    data = dict(draft)
    title = data.pop(COMPANY_TITLE, None)
    return data, (_company_title(title) if title not in (None, "") else None)


async def _company_for(actor: Actor, title: str) -> int:
    """The company the title names among those the actor may read (same title in any case
    first, then the same words without accents), or a new one. Call inside a transaction."""
    key = " ".join(words(title))
    found = (
        await Company.filter(scope_q(actor, contacts=False), deleted_at=None, title_key=key)
        .order_by("id")
        .limit(50)
    )
    same_case = [c for c in found if c.title.casefold() == title.casefold()]
    if same_case or (key and found):
        return (same_case or found)[0].id
    company = cast(Company, await companies.create(actor, "company", {"title": title}))
    return company.id


async def create_from_draft(
    actor: Actor, draft: Draft, *, allow_duplicate: bool = False
) -> ContactCard:
    """Create the contact a draft describes, with its company (found or created) linked, in
    one transaction, with history.

    Raises PermissionDeniedError, ValidationError, or DuplicateContactError with the matches
    before anything is written (unless `allow_duplicate`). Returns the new card.
    """
    data, title = _split_draft(draft)
    if not allow_duplicate:
        # Checked before the company is made; create_checked_contact checks again under a lock.
        matches = await contacts.check_duplicates(actor, data)
        if matches:
            raise DuplicateContactError(matches)
    definitions = await customfields.active_fields()
    clean = await contacts.clean_input(data, definitions, creating=True)
    contact = await create_with_company(
        actor, clean, definitions, title, allow_duplicate=allow_duplicate
    )
    return await contacts.load_card(contact)


async def create_with_company(
    actor: Actor,
    clean: CleanContact,
    definitions: dict[str, CustomField],
    company_title: str | None,
    *,
    allow_duplicate: bool = False,
    web_form_id: int | None = None,
    import_job_id: int | None = None,
    keys_locked: bool = False,
) -> Contact:
    """Create a validated contact with the company its title names (found among those the
    actor may read, or created) as its primary company, in one call: one transaction, one
    "created" history entry.

    Raises PermissionDeniedError, ValidationError, or DuplicateContactError (unless
    `allow_duplicate`); nothing is written then, not even the company. Returns the new
    contact's row (`contacts.load_card` reads its card).
    """
    async with in_transaction():
        if company_title:
            title = _company_title(company_title)
            if not keys_locked:
                # The person's keys before the company's: one order for every writer, so two
                # creates never wait for each other's lock (a deadlock on PostgreSQL).
                await lock_duplicate_keys(clean.scalars, clean.channels)
                keys_locked = True
            # Two leads naming one new company at once make one company: the second waits
            # here until the first commits, then finds it (PostgreSQL; SQLite writes serially).
            if dialect() != "sqlite":
                await connection().execute_query(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    [f"company:{' '.join(words(title))}"],
                )
            company_id = await _company_for(actor, title)
            others = [c for c in clean.companies or [] if c != company_id]
            clean = replace(clean, companies=[company_id, *others])
        return await contacts.insert_checked_contact(
            actor,
            clean,
            definitions,
            allow_duplicate=allow_duplicate,
            web_form_id=web_form_id,
            import_job_id=import_job_id,
            keys_locked=keys_locked,
        )


def preferred_match(matches: Sequence[DuplicateMatch]) -> DuplicateMatch | None:
    """The duplicate an incoming contact goes to under the merge or replace policy: the first
    the actor may read sharing a phone, e-mail or Telegram username, else the first readable
    one with the same full name; None if they may read none."""
    readable = [m for m in matches if m.readable]
    for match in readable:
        if match.reason in CHANNEL_MATCHES:
            return match
    return readable[0] if readable else None


@dataclass(frozen=True, slots=True)
class Proposal:
    """What incoming values would change on a known contact but were not written, for its
    staff to apply or ignore (stored as JSON on a web form submission).

    `fields`: scalar field → value (JSON-safe: a date as ISO text); `custom`: custom field
    code → values; `channels`: {"field", "value", "value_type", "normalized", "primary"}, a
    primary one to become the first of its kind; `message`: text to append to the comment.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.custom or self.channels or self.message)

    def as_json(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "custom": dict(self.custom),
            "channels": list(self.channels),
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Any) -> "Proposal":
        """A stored proposal; what is not in the stored shape is left out."""
        if not isinstance(data, dict):
            return cls()
        fields, custom, channels = data.get("fields"), data.get("custom"), data.get("channels")
        message = data.get("message")
        return cls(
            fields=dict(fields) if isinstance(fields, dict) else {},
            custom={k: v for k, v in custom.items() if isinstance(v, list)}
            if isinstance(custom, dict)
            else {},
            channels=[
                c for c in channels if isinstance(c, dict) and c.get("field") in CHANNEL_FIELDS
            ]
            if isinstance(channels, list)
            else [],
            message=message if isinstance(message, str) and message else None,
        )


@dataclass(slots=True)
class DraftMerge:
    """A draft merged into a contact: its card after the merge, the fields that changed, and
    what was not written (the values that differ from the contact's, and for an unvouched
    merge what would have added the first value of a kind or the message)."""

    card: ContactCard
    added: list[str] = field(default_factory=list)
    proposal: Proposal = field(default_factory=Proposal)


async def merge_draft(
    actor: Actor, contact_id: int, draft: Draft, expected_version: int | None = None
) -> DraftMerge:
    """`merge_into` for a draft (checked here with the core's rules)."""
    data, title = _split_draft(draft)
    clean = await contacts.clean_input(data, await customfields.active_fields(), creating=False)
    return await merge_into(
        actor, contact_id, clean, company_title=title, expected_version=expected_version
    )


async def merge_into(
    actor: Actor,
    contact_id: int,
    clean: CleanContact,
    *,
    company_title: str | None = None,
    message: str | None = None,
    expected_version: int | None = None,
) -> DraftMerge:
    """The "merge" duplicate policy, as Bitrix24's: fill the contact's empty fields and add the
    phones, e-mails, websites, messengers, custom values and company it lacks; never replace a
    value it has. `message` is appended to its comment. `clean` holds only values that came
    in (checked as for an update: a create's check adds the custom fields' defaults).

    One update at the version read here (or `expected_version`, checked even when nothing
    changes, so the caller learns that the contact changed since the duplicate was shown):
    a concurrent edit is a StaleEditError and nothing is overwritten. Raises NotFoundError,
    PermissionDeniedError (the contact must be editable), ValidationError or StaleEditError.
    """
    # Checked even when nothing would change: "merged" must never answer someone who may not edit.
    card = await contacts.get_contact_for_edit(actor, contact_id)
    changes = _filled(card, clean, new_kinds=True)
    proposal = _proposal(card, clean, changes)
    added = _added(changes)
    note = comment_with(changes.get("comment", card.contact.comment), message)
    if note is not None:
        changes["comment"] = note
    return await _write_merge(
        actor, card, changes, added, expected_version, company_title, proposal
    )


async def propose_into(
    actor: Actor,
    contact_id: int,
    clean: CleanContact,
    *,
    company_title: str | None = None,
    message: str | None = None,
    replacing: bool = False,
) -> DraftMerge:
    """Incoming values nobody vouches for (an anonymous web form post) into a known contact:
    never overwrite, reorder or remove anything. Only empty fields are filled and phones,
    e-mails, websites and messengers are added after the contact's own of their kind; the
    company is linked if the contact lacks it. Everything else comes back as the proposal: a
    value different from the contact's, the first value of a kind the contact has none of
    (it would become the one staff call or write to), the message (for the comment), and with
    `replacing` (the form's policy is "replace") the incoming values as the first of their kind.

    Raises as `merge_into`.
    """
    card = await contacts.get_contact_for_edit(actor, contact_id)
    changes = _filled(card, clean, new_kinds=False)
    changes.pop("comment", None)  # a visitor's text never lands in the staff's notes unasked
    proposal = _proposal(card, clean, changes, message=message, replacing=replacing)
    return await _write_merge(actor, card, changes, _added(changes), None, company_title, proposal)


def _added(changes: dict[str, Any]) -> list[str]:
    """The names of the fields a merge's changes fill or add to."""
    return [k for k in changes if k != "custom"] + [
        FieldRef(c).data_key for c in changes.get("custom", {})
    ]


async def _write_merge(
    actor: Actor,
    card: ContactCard,
    changes: dict[str, Any],
    added: list[str],
    expected_version: int | None,
    company_title: str | None,
    proposal: Proposal,
) -> DraftMerge:
    """Write a merge's changes and company link in one transaction; the merge's outcome."""
    contact_id = card.id
    version = expected_version if expected_version is not None else card.version
    async with in_transaction():
        if changes or expected_version is not None:
            await contacts.update_contact(actor, contact_id, changes, version)
        linked = await _link_company(actor, card, company_title)
    if linked:
        added.append("companies")
    if not (changes or linked):
        return DraftMerge(card=card, added=added, proposal=proposal)
    after = await contacts.get_contact(actor, contact_id)
    return DraftMerge(card=after, added=added, proposal=proposal)


def _filled(card: ContactCard, clean: CleanContact, *, new_kinds: bool) -> dict[str, Any]:
    """The changes that fill the card's empty fields and add what it lacks (merge); without
    `new_kinds`, no channel of a kind the card has none of (it would become the primary)."""
    changes: dict[str, Any] = {}
    for name in FILLABLE:
        value = clean.scalars.get(name)
        if value not in (None, "") and getattr(card.contact, name) in (None, ""):
            changes[name] = value
    for name, kind in CHANNEL_FIELDS.items():
        have = [c for c in card.channels if c.kind == kind]
        known = {c.normalized for c in have}
        new = [v for v in clean.channels.get(kind, []) if v.normalized not in known]
        if new and (have or new_kinds):
            # The contact's own values first and unchanged: its primary stays primary.
            changes[name] = [{"value": c.value, "value_type": c.value_type} for c in have] + [
                {"value": v.value, "value_type": v.value_type} for v in new
            ]
    custom = {
        code: values
        for code, values in clean.custom.items()
        if values and not card.custom.get(code)
    }
    if custom:
        changes["custom"] = custom
    return changes


# Where a contact came from first and how it got here: filled when empty, never proposed (an
# incoming lead's campaign is news about this lead, not a correction of the contact).
NOT_PROPOSED = {"comment", "responsible_id", "source_id", "source_description", *UTM_KEYS}


def _proposal(
    card: ContactCard,
    clean: CleanContact,
    changes: dict[str, Any],
    *,
    message: str | None = None,
    replacing: bool = False,
) -> Proposal:
    """What the incoming values would change beyond `changes` (see `propose_into`)."""
    fields = {
        name: _json_safe(value)
        for name, value in clean.scalars.items()
        if name not in NOT_PROPOSED
        and name not in changes
        and value not in (None, "")
        and _differs(getattr(card.contact, name), value)
    }
    custom = {
        code: [_json_safe(v) for v in values]
        for code, values in clean.custom.items()
        if values and code not in changes.get("custom", {}) and card.custom.get(code) != values
    }
    channels: list[dict[str, Any]] = []
    for name, kind in CHANNEL_FIELDS.items():
        have = [c for c in card.channels if c.kind == kind]
        incoming = clean.channels.get(kind, [])
        if not incoming:
            continue
        if not have and name not in changes:
            wanted = incoming  # none of this kind yet: all of them, the first as primary
        elif replacing and have[0].normalized != incoming[0].normalized:
            wanted = incoming[:1]  # replace would have put it first
        else:
            continue
        channels += [
            {
                "field": name,
                "value": v.value,
                "value_type": v.value_type,
                "normalized": v.normalized,
                "primary": i == 0,
            }
            for i, v in enumerate(wanted)
        ]
    # A message the comment holds already (a post sent twice) is not proposed again.
    note = comment_with(card.contact.comment, message)
    return Proposal(fields, custom, channels, message if note is not None else None)


def _differs(known: Any, incoming: Any) -> bool:
    """Whether an incoming value says something else than the known one ("jean" is "Jean")."""
    if isinstance(known, str) and isinstance(incoming, str):
        return known.casefold() != incoming.casefold()
    return bool(known != incoming)


def proposal_changes(card: ContactCard, proposal: Proposal) -> dict[str, Any]:
    """The update that writes `proposal` on the card as it is now: proposed values over the
    card's, proposed primaries first and other proposed channels after the card's own, the
    message appended to the comment (unless it is there already)."""
    changes: dict[str, Any] = {
        name: value for name, value in proposal.fields.items() if name in contacts.KNOWN_FIELDS
    }
    if proposal.custom:
        changes["custom"] = dict(proposal.custom)
    for name, kind in CHANNEL_FIELDS.items():
        wanted = [c for c in proposal.channels if c.get("field") == name]
        if not wanted:
            continue
        have = [
            {"value": c.value, "value_type": c.value_type, "normalized": c.normalized}
            for c in card.channels
            if c.kind == kind
        ]
        first = [c for c in wanted if c.get("primary")]
        rest = [c for c in wanted if not c.get("primary")]
        ordered: list[dict[str, Any]] = []
        for item in [*first, *have, *rest]:
            if all(o.get("normalized") != item.get("normalized") for o in ordered):
                ordered.append(item)
        changes[name] = [{"value": c["value"], "value_type": c["value_type"]} for c in ordered]
    note = comment_with(card.contact.comment, proposal.message)
    if note is not None and note != card.contact.comment:
        changes["comment"] = note
    return changes


async def replace_into(
    actor: Actor,
    contact_id: int,
    clean: CleanContact,
    *,
    company_title: str | None = None,
    message: str | None = None,
    expected_version: int | None = None,
) -> ContactCard:
    """The "replace" duplicate policy: overwrite the contact's fields with the incoming values
    (empty ones are not values). An incoming phone, e-mail, site or username becomes the
    primary one of its kind; the others stay after it (a number is not thrown away because
    the visitor typed another). The contact keeps its responsible, where it came from first
    (source) and its comment, to which `message` is appended; the company is linked. `clean`
    holds only values that came in, as for `merge_into`.

    One update at the version read here (or `expected_version`). Raises NotFoundError,
    PermissionDeniedError, ValidationError or StaleEditError. Returns the card after it.
    """
    # Checked even when nothing would change: "merged" must never answer someone who may not edit.
    card = await contacts.get_contact_for_edit(actor, contact_id)
    changes = _replacing(card, clean)
    note = comment_with(card.contact.comment, message)
    if note is not None:
        changes["comment"] = note
    version = expected_version if expected_version is not None else card.version
    async with in_transaction():
        if changes or expected_version is not None:
            await contacts.update_contact(actor, contact_id, changes, version)
        linked = await _link_company(actor, card, company_title)
    return await contacts.get_contact(actor, contact_id) if changes or linked else card


def _replacing(card: ContactCard, clean: CleanContact) -> dict[str, Any]:
    """The changes that put the incoming values in the card's place (replace)."""
    changes: dict[str, Any] = {}
    for name, value in clean.scalars.items():
        if name in ("comment", "responsible_id") or value in (None, ""):
            continue
        if name in ("source_id", "source_description") and getattr(card.contact, name):
            continue  # where the contact came from first stays
        changes[name] = value
    for name, kind in CHANNEL_FIELDS.items():
        incoming = clean.channels.get(kind, [])
        if not incoming:
            continue
        known = {v.normalized for v in incoming}
        changes[name] = [{"value": v.value, "value_type": v.value_type} for v in incoming] + [
            {"value": c.value, "value_type": c.value_type}
            for c in card.channels
            if c.kind == kind and c.normalized not in known
        ]
    custom = {code: values for code, values in clean.custom.items() if values}
    if custom:
        changes["custom"] = custom  # typed values pass the core's checks again unchanged
    return changes


async def append_message(
    actor: Actor, contact_id: int, message: str | None, expected_version: int | None = None
) -> ContactCard:
    """Append `message` to the contact's comment, after a blank line, unless it is there
    already (a message sent twice adds nothing); the staff's own notes are never cut, a message
    that does not fit is. Raises as `merge_into`; returns the card (unchanged if nothing was
    added)."""
    return (
        await merge_into(
            actor, contact_id, CleanContact(), message=message, expected_version=expected_version
        )
    ).card


async def _link_company(actor: Actor, card: ContactCard, title: str | None) -> bool:
    """Link the company the title names (found or created) if the contact lacks it; call inside
    a transaction. Whether a link was made."""
    if not title:
        return False
    company_id = await _company_for(actor, _company_title(title))
    if company_id in {c.company_id for c in card.companies}:
        return False
    await contacts.link(actor, card.id, "company", company_id)
    return True


@dataclass(slots=True)
class DraftBatch:
    """What became of the cards of a file: created, held back as duplicates, invalid (by the
    card's number in the file, with the reason per field)."""

    created: list[ContactCard] = field(default_factory=list)
    duplicates: list[tuple[Draft, list[DuplicateMatch]]] = field(default_factory=list)
    invalid: list[tuple[int, dict[str, str]]] = field(default_factory=list)


async def create_drafts(actor: Actor, entries: Sequence[VCardEntry]) -> DraftBatch:
    """Create each readable card that duplicates nothing, each in its own transaction (one bad
    card does not undo the others). Duplicates are returned, not created: the caller asks.

    Raises PermissionDeniedError before anything for staff who may not add contacts.
    """
    require_any(actor, Action.ADD)
    batch = DraftBatch()
    for entry in entries:
        if entry.draft is None:
            batch.invalid.append((entry.number, {"vcard": entry.error or "cannot be read"}))
            continue
        try:
            batch.created.append(await create_from_draft(actor, entry.draft))
        except DuplicateContactError as exc:
            batch.duplicates.append((entry.draft, list(exc.matches)))
        except (ValidationError, PermissionDeniedError) as exc:
            errors = exc.errors if isinstance(exc, ValidationError) else {"contact": exc.message}
            batch.invalid.append((entry.number, errors))
    return batch
