"""Merging duplicate contacts (F6) and undoing a merge, from a typed record of what moved."""

from dataclasses import asdict, dataclass, field
from typing import Any

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from crm import history
from crm.actors import Actor
from crm.db import utcnow
from crm.duplicates import FILLABLE, short_name
from crm.errors import ConflictError, NotFoundError, ValidationError
from crm.permissions import record_facts, require
from crm.searchkeys import refresh_search_keys
from models import (
    Activity,
    Channel,
    Contact,
    ContactCompany,
    ContactDeal,
    ContactObserver,
    ContactQuote,
    CustomFieldValue,
    HistoryEntry,
    MergeRecord,
)
from models.enums import Action, HistoryKind

# --- what moved: the undo data, and its one JSON translation ---------------------------------

# The shape `MergeRecord.moved` is written in. Rows written before it have no "format" key and
# hold positional lists; `MergeMoves.from_json` still reads them, so old merges can be undone.
MOVED_FORMAT = 2


@dataclass(frozen=True, slots=True)
class MovedChannel:
    """A channel the merge moved onto the kept contact, with its place on the contact it left."""

    id: int
    contact_id: int
    is_primary: bool
    sort: int


@dataclass(frozen=True, slots=True)
class MovedCompanyLink:
    """A contact-company link the merge moved, and whether it was that contact's primary."""

    id: int
    contact_id: int
    is_primary: bool


@dataclass(frozen=True, slots=True)
class MovedRow:
    """A row that hangs on a contact (a deal, quote or observer link, an activity, a history
    entry, a custom value) and the contact it was moved from."""

    id: int
    contact_id: int


@dataclass(slots=True)
class MergeMoves:
    """Everything a merge moved or changed, so that `unmerge` can put it back."""

    channels: list[MovedChannel] = field(default_factory=list)
    companies: list[MovedCompanyLink] = field(default_factory=list)
    deals: list[MovedRow] = field(default_factory=list)
    quotes: list[MovedRow] = field(default_factory=list)
    observers: list[MovedRow] = field(default_factory=list)
    activities: list[MovedRow] = field(default_factory=list)
    history: list[MovedRow] = field(default_factory=list)
    custom: list[MovedRow] = field(default_factory=list)
    # Field name → the value the merge filled it with, as history keeps it (`history.as_text`).
    filled: dict[str, str | None] = field(default_factory=dict)
    # Merged contact id → the version it was given when the merge hid it.
    versions: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The value stored in `MergeRecord.moved`."""
        data = asdict(self)
        data["versions"] = {str(k): v for k, v in self.versions.items()}
        return {"format": MOVED_FORMAT, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MergeMoves":
        """Read `MergeRecord.moved`, in the current shape or the positional one before it."""
        if "format" not in data:
            return cls._from_positional(data)
        if data["format"] != MOVED_FORMAT:
            raise ValueError(f"unknown merge record format {data['format']!r}")
        return cls(
            channels=[MovedChannel(**row) for row in data["channels"]],
            companies=[MovedCompanyLink(**row) for row in data["companies"]],
            deals=[MovedRow(**row) for row in data["deals"]],
            quotes=[MovedRow(**row) for row in data["quotes"]],
            observers=[MovedRow(**row) for row in data["observers"]],
            activities=[MovedRow(**row) for row in data["activities"]],
            history=[MovedRow(**row) for row in data["history"]],
            custom=[MovedRow(**row) for row in data["custom"]],
            filled=dict(data["filled"]),
            versions={int(k): v for k, v in data["versions"].items()},
        )

    @classmethod
    def _from_positional(cls, data: dict[str, Any]) -> "MergeMoves":
        # Channels were [id, contact_id, is_primary, sort]; company links [id, contact_id] and
        # later [id, contact_id, was_primary] (the older ones come back as secondary); custom
        # values [id, contact_id, field_id]; every other row [id, contact_id].
        def rows(key: str) -> list[MovedRow]:
            return [MovedRow(row[0], row[1]) for row in data[key]]

        return cls(
            channels=[MovedChannel(*row) for row in data["channels"]],
            companies=[
                MovedCompanyLink(row[0], row[1], len(row) > 2 and bool(row[2]))
                for row in data["companies"]
            ],
            deals=rows("deals"),
            quotes=rows("quotes"),
            observers=rows("observers"),
            activities=rows("activities"),
            history=rows("history"),
            custom=rows("custom"),
            filled=dict(data["fields"]),
            versions={int(k): v for k, v in data["versions"].items()},
        )


# --- merge ------------------------------------------------------------------------------------


async def merge_contacts(actor: Actor, keep_id: int, other_ids: list[int]) -> MergeRecord:
    """Merge `other_ids` into `keep_id`: channels, links, activities, history, custom values
    and empty fields move to the kept contact; the others are hidden. Undo with `unmerge`.

    1. Load the live contacts; the actor needs edit on the kept one, delete on the others.
    2. Claim every contact on the version read in 1; the others become hidden.
    3. Fill the kept contact's empty fields from the first other that has them.
    4. Move the channels the kept contact lacks, after its own.
    5. Move company, deal, quote and observer links it lacks.
    6. Move every activity and history entry.
    7. Move the custom values of fields it lacks.
    8. Store what moved (the undo data), record the merge in history, refresh search keys.

    Raises ValidationError, NotFoundError, PermissionDeniedError, or ConflictError when one of
    the contacts was merged or deleted meanwhile (then nothing is written).
    """
    keep, others = await _load_contacts_to_merge(actor, keep_id, other_ids)
    merged_ids = [other.id for other in others]
    moved = MergeMoves()
    async with in_transaction():
        moved.versions = await _claim_contacts(actor, keep, others)
        filled = await _fill_empty_fields(keep, others)
        moved.filled = {name: history.as_text(value) for name, value in filled.items()}
        moved.channels = await _move_channels(keep.id, merged_ids)
        moved.companies = await _move_company_links(keep.id, merged_ids)
        moved.deals = await _move_links(ContactDeal, "deal_id", keep.id, merged_ids)
        moved.quotes = await _move_links(ContactQuote, "quote_id", keep.id, merged_ids)
        moved.observers = await _move_links(ContactObserver, "staff_id", keep.id, merged_ids)
        moved.activities = await _move_activities(keep.id, merged_ids)
        moved.history = await _move_history(keep.id, merged_ids)
        moved.custom = await _move_custom_values(keep.id, merged_ids)
        record = await MergeRecord.create(
            kept_id=keep.id,
            merged_ids=merged_ids,
            moved=moved.to_json(),
            actor_staff_id=actor.staff_id,
            actor_label=actor.label,
        )
        await _record_merge(actor, record, keep, others, filled)
        await refresh_search_keys(await Contact.get(id=keep.id))
    return record


async def _load_contacts_to_merge(
    actor: Actor, keep_id: int, other_ids: list[int]
) -> tuple[Contact, list[Contact]]:
    """Step 1: the kept contact and the others (each once, in the order given), checked."""
    wanted = [i for i in dict.fromkeys(other_ids) if i != keep_id]
    if not wanted:
        raise ValidationError({"others": "choose at least one other contact to merge"})
    contacts = {
        c.id: c
        for c in await Contact.filter(
            id__in=[keep_id, *wanted], deleted_at=None, merged_into_id=None
        )
    }
    missing = [i for i in [keep_id, *wanted] if i not in contacts]
    if missing:
        raise NotFoundError(f"contact #{missing[0]} does not exist or was already merged")
    keep = contacts[keep_id]
    require(actor, Action.EDIT, await record_facts(keep))
    for other_id in wanted:
        require(
            actor, Action.DELETE, await record_facts(contacts[other_id]), f"contact #{other_id}"
        )
    return keep, [contacts[i] for i in wanted]


async def _claim_contacts(actor: Actor, keep: Contact, others: list[Contact]) -> dict[int, int]:
    """Step 2: bump every contact's version if it is still the one read; hide the others.

    A concurrent merge (or edit) of the same contacts loses here and rolls back instead of
    moving rows twice or filling fields from stale values. Rows are claimed in id order so
    that two merges on PostgreSQL wait for each other instead of deadlocking. Returns the
    version each hidden contact was given.
    """
    now = utcnow()
    hidden_versions: dict[int, int] = {}
    for contact in sorted([keep, *others], key=lambda c: c.id):
        live = Contact.filter(
            id=contact.id, version=contact.version, deleted_at=None, merged_into_id=None
        )
        if contact.id == keep.id:
            claimed = await live.update(
                version=contact.version + 1, updated_at=now, updated_by_id=actor.staff_id
            )
        else:
            claimed = await live.update(
                merged_into_id=keep.id, deleted_at=now, version=contact.version + 1
            )
            hidden_versions[contact.id] = contact.version + 1
        if claimed != 1:
            raise ConflictError(
                f"contact #{contact.id} was changed, merged or deleted meanwhile; try again"
            )
    return hidden_versions


async def _fill_empty_fields(keep: Contact, others: list[Contact]) -> dict[str, Any]:
    """Step 3: returns the fields filled on the kept contact, with their new values."""
    filled: dict[str, Any] = {}
    for name in FILLABLE:
        if getattr(keep, name) not in (None, ""):
            continue
        for other in others:
            value = getattr(other, name)
            if value not in (None, ""):
                filled[name] = value
                break
    if filled:
        await Contact.filter(id=keep.id).update(**filled)
    return filled


async def _move_channels(keep_id: int, other_ids: list[int]) -> list[MovedChannel]:
    """Step 4: channels whose normalized value the kept contact lacks.

    Moved channels go after the kept ones of their kind; the first of a kind the kept
    contact lacked becomes its primary (a card always has a primary phone and e-mail).
    """
    kept_rows = await Channel.filter(contact_id=keep_id).values_list("kind", "normalized")
    kept_channels = {(str(kind), normalized) for kind, normalized in kept_rows}
    next_sort: dict[str, int] = {}
    for kind, _ in kept_rows:
        next_sort[str(kind)] = next_sort.get(str(kind), 0) + 1
    moved: list[MovedChannel] = []
    for channel in await Channel.filter(contact_id__in=other_ids).order_by(
        "contact_id", "kind", "sort", "id"
    ):
        kind = str(channel.kind)
        if (kind, channel.normalized) in kept_channels:
            continue
        kept_channels.add((kind, channel.normalized))
        sort = next_sort.get(kind, 0)
        next_sort[kind] = sort + 1
        await Channel.filter(id=channel.id).update(
            contact_id=keep_id, is_primary=sort == 0, sort=sort
        )
        moved.append(MovedChannel(channel.id, channel.contact_id, channel.is_primary, channel.sort))
    return moved


async def _move_company_links(keep_id: int, other_ids: list[int]) -> list[MovedCompanyLink]:
    """Step 5a: links to companies the kept contact is not linked to yet.

    A kept contact without companies takes the first moved one as its primary company;
    otherwise moved links are secondary. Their old flag is kept for the undo.
    """
    needs_primary = not await ContactCompany.exists(contact_id=keep_id, is_primary=True)
    have = set(await ContactCompany.filter(contact_id=keep_id).values_list("company_id", flat=True))
    moved: list[MovedCompanyLink] = []
    for row_id, contact_id, company_id, was_primary in (
        await ContactCompany.filter(contact_id__in=other_ids)
        .order_by("contact_id", "-is_primary", "id")
        .values_list("id", "contact_id", "company_id", "is_primary")
    ):
        if company_id in have:
            continue
        have.add(company_id)
        await ContactCompany.filter(id=row_id).update(contact_id=keep_id, is_primary=needs_primary)
        needs_primary = False
        moved.append(MovedCompanyLink(row_id, contact_id, was_primary))
    return moved


async def _move_links(
    model: type[Model], column: str, keep_id: int, other_ids: list[int]
) -> list[MovedRow]:
    """Step 5b: deal, quote or observer links (`column` names the target) the kept contact
    lacks; a link it already has stays on the hidden contact."""
    have = set(await model.filter(contact_id=keep_id).values_list(column, flat=True))
    moved: list[MovedRow] = []
    for row_id, contact_id, target in await model.filter(contact_id__in=other_ids).values_list(
        "id", "contact_id", column
    ):
        if target in have:
            continue
        have.add(target)
        await model.filter(id=row_id).update(contact_id=keep_id)
        moved.append(MovedRow(row_id, contact_id))
    return moved


async def _move_activities(keep_id: int, other_ids: list[int]) -> list[MovedRow]:
    """Step 6a: every activity of the others."""
    rows = await Activity.filter(contact_id__in=other_ids).values_list("id", "contact_id")
    await Activity.filter(contact_id__in=other_ids).update(contact_id=keep_id)
    return [MovedRow(row_id, contact_id) for row_id, contact_id in rows]


async def _move_history(keep_id: int, other_ids: list[int]) -> list[MovedRow]:
    """Step 6b: every history entry of the others, so that the kept card shows it."""
    entries = HistoryEntry.filter(entity="contact", entity_id__in=other_ids)
    rows = await entries.values_list("id", "entity_id")
    await HistoryEntry.filter(entity="contact", entity_id__in=other_ids).update(entity_id=keep_id)
    return [MovedRow(row_id, entity_id) for row_id, entity_id in rows]


async def _move_custom_values(keep_id: int, other_ids: list[int]) -> list[MovedRow]:
    """Step 7: values of custom fields the kept contact has none of. The values of one field
    move together, from the contact with the lowest id that has them."""
    have = set(await CustomFieldValue.filter(contact_id=keep_id).values_list("field_id", flat=True))
    owner: dict[int, int] = {}  # field id → the contact its values come from
    moved: list[MovedRow] = []
    for row_id, contact_id, field_id in (
        await CustomFieldValue.filter(contact_id__in=other_ids)
        .order_by("contact_id", "position")
        .values_list("id", "contact_id", "field_id")
    ):
        if field_id in have or owner.setdefault(field_id, contact_id) != contact_id:
            continue
        moved.append(MovedRow(row_id, contact_id))
    for row in moved:
        await CustomFieldValue.filter(id=row.id).update(contact_id=keep_id)
    return moved


async def _record_merge(
    actor: Actor,
    record: MergeRecord,
    keep: Contact,
    others: list[Contact],
    filled: dict[str, Any],
) -> None:
    """Step 8: the merge in the history of every contact it touched."""
    # The fields the merge filled are changes of the kept contact like any other.
    await history.record_changes(
        actor, "contact", keep.id, {name: (None, value) for name, value in filled.items()}
    )
    names = ", ".join(f"{short_name(other)} (#{other.id})" for other in others)
    await history.record(
        actor,
        "contact",
        keep.id,
        HistoryKind.MERGED,
        field="merge",
        before=names,
        after=f"merge #{record.id}",
    )
    for other in others:
        await history.record(
            actor, "contact", other.id, HistoryKind.MERGED, field="merged_into", after=keep.id
        )


# --- unmerge ----------------------------------------------------------------------------------


async def unmerge(actor: Actor, merge_id: int) -> list[int]:
    """Undo a merge: every moved row goes back, the merged contacts reappear.

    1. Load the merge; the actor needs edit on the kept contact, delete on the merged ones.
    2. Claim the merge (mark it undone), so that it is undone once.
    3. Put every moved row back where it was.
    4. Empty the fields the merge filled, unless someone changed them since.
    5. Bring the merged contacts back, record the undo in history, refresh search keys.

    Returns the restored contact ids. Raises NotFoundError or ConflictError (already undone).
    """
    record = await _load_merge(actor, merge_id)
    moved = MergeMoves.from_json(record.moved)
    async with in_transaction():
        claimed = await MergeRecord.filter(id=merge_id, undone_at=None).update(undone_at=utcnow())
        if claimed != 1:
            raise ConflictError(f"merge #{merge_id} was already undone")
        await _put_rows_back(record.kept_id, moved)
        await _empty_filled_fields(actor, record.kept_id, moved.filled)
        await _bring_back_merged(actor, record, moved.versions)
        for contact in await Contact.filter(id__in=[record.kept_id, *record.merged_ids]):
            await refresh_search_keys(contact)
    return list(record.merged_ids)


async def _load_merge(actor: Actor, merge_id: int) -> MergeRecord:
    """Step 1: the merge record, checked."""
    record = await MergeRecord.get_or_none(id=merge_id)
    if record is None:
        raise NotFoundError(f"merge #{merge_id} does not exist")
    keep = await Contact.get_or_none(id=record.kept_id)
    if keep is None:
        raise NotFoundError(f"contact #{record.kept_id} does not exist")
    require(actor, Action.EDIT, await record_facts(keep))
    # Undoing a merge brings the merged contacts back: the same right the merge needed on them.
    for merged in await Contact.filter(id__in=record.merged_ids):
        require(actor, Action.DELETE, await record_facts(merged), f"contact #{merged.id}")
    return record


async def _put_rows_back(keep_id: int, moved: MergeMoves) -> None:
    """Step 3: rows go back to the contact they came from, if they are still on the kept one."""
    for channel in moved.channels:
        await Channel.filter(id=channel.id, contact_id=keep_id).update(
            contact_id=channel.contact_id, is_primary=channel.is_primary, sort=channel.sort
        )
    for link in moved.companies:
        await ContactCompany.filter(id=link.id, contact_id=keep_id).update(
            contact_id=link.contact_id, is_primary=link.is_primary
        )
    # The kept contact may have lost the primary company it took from a merged one.
    if moved.companies and not await ContactCompany.exists(contact_id=keep_id, is_primary=True):
        first = await ContactCompany.filter(contact_id=keep_id).order_by("id").first()
        if first is not None:
            await ContactCompany.filter(id=first.id).update(is_primary=True)
    rows_of: tuple[tuple[type[Model], list[MovedRow]], ...] = (
        (ContactDeal, moved.deals),
        (ContactQuote, moved.quotes),
        (ContactObserver, moved.observers),
        (Activity, moved.activities),
        (CustomFieldValue, moved.custom),
    )
    for model, rows in rows_of:
        for row in rows:
            await model.filter(id=row.id, contact_id=keep_id).update(contact_id=row.contact_id)
    for row in moved.history:
        await HistoryEntry.filter(id=row.id).update(entity_id=row.contact_id)


async def _empty_filled_fields(actor: Actor, keep_id: int, filled: dict[str, str | None]) -> None:
    """Step 4: a field still holding what the merge wrote is emptied; the kept contact's
    version is bumped either way (its channels and links changed)."""
    # Read now that the merge is claimed: the comparison needs current values.
    keep = await Contact.get(id=keep_id)
    reset = {
        name: None
        for name, value in filled.items()
        if history.as_text(getattr(keep, name)) == value
    }
    await Contact.filter(id=keep_id).update(
        **reset, version=F("version") + 1, updated_at=utcnow(), updated_by_id=actor.staff_id
    )
    await history.record_changes(
        actor, "contact", keep_id, {name: (getattr(keep, name), None) for name in reset}
    )


async def _bring_back_merged(actor: Actor, record: MergeRecord, versions: dict[int, int]) -> None:
    """Step 5: the merged contacts are live again, and the undo is in every history."""
    for other_id in record.merged_ids:
        await Contact.filter(id=other_id, merged_into_id=record.kept_id).update(
            merged_into_id=None, deleted_at=None, version=versions[other_id] + 1
        )
        await history.record(
            actor,
            "contact",
            other_id,
            HistoryKind.UNMERGED,
            field="merged_into",
            before=record.kept_id,
        )
    await history.record(
        actor,
        "contact",
        record.kept_id,
        HistoryKind.UNMERGED,
        field="merge",
        before=f"merge #{record.id}",
    )
