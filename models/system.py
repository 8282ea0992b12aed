"""Audit history, merges, outbox, web forms, submissions, imports and saved filters."""

from tortoise import fields
from tortoise.models import Model

from models.enums import (
    CallerKind,
    DedupPolicy,
    DeliveryStatus,
    FormScheme,
    HistoryKind,
    ImportStatus,
    SubmissionStatus,
)


class HistoryEntry(Model):
    """One audited change. Not a foreign key to the entity, so purging keeps the trail."""

    id = fields.IntField(primary_key=True)
    entity = fields.CharField(max_length=16)
    entity_id = fields.IntField()
    at = fields.DatetimeField(auto_now_add=True)
    actor_staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="history", null=True, on_delete=fields.SET_NULL
    )
    actor_staff_id: int | None
    actor_label = fields.CharField(max_length=200)
    kind = fields.CharEnumField(HistoryKind, max_length=24)
    field = fields.CharField(max_length=80, null=True)
    before = fields.TextField(null=True)
    after = fields.TextField(null=True)

    class Meta:
        table = "history_entry"
        indexes = (("entity", "entity_id", "id"),)


class MergeRecord(Model):
    """What a merge moved, so that `unmerge` can put every row back."""

    id = fields.IntField(primary_key=True)
    kept: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Contact", related_name="merges", on_delete=fields.CASCADE
    )
    kept_id: int
    merged_ids = fields.JSONField()
    moved = fields.JSONField()
    actor_staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="merges", null=True, on_delete=fields.SET_NULL
    )
    actor_staff_id: int | None
    actor_label = fields.CharField(max_length=200)
    at = fields.DatetimeField(auto_now_add=True)
    undone_at = fields.DatetimeField(null=True)

    class Meta:
        table = "merge_record"


class OutboxMessage(Model):
    """A Telegram message waiting to be sent by the outbox sender (never sent inline by the core)."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="outbox", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    chat_id = fields.BigIntField()
    kind = fields.CharField(max_length=32)
    text = fields.TextField()
    payload = fields.JSONField(default=dict)
    group_key = fields.CharField(max_length=100, null=True)
    dedupe_key = fields.CharField(max_length=200, null=True, unique=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    not_before = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    telegram_message_id = fields.BigIntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "not_before"), ("chat_id", "status"))


class WebForm(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    fields_spec = fields.JSONField(default=list)
    scheme = fields.CharEnumField(FormScheme, max_length=16, default=FormScheme.CONTACT)
    dedup_policy = fields.CharEnumField(DedupPolicy, max_length=16, default=DedupPolicy.MERGE)
    responsible_queue = fields.JSONField(default=list)
    queue_cursor = fields.IntField(default=0)
    consent_text = fields.TextField(null=True)
    consent_required = fields.BooleanField(default=True)
    success_text = fields.TextField(null=True)
    redirect_url = fields.CharField(max_length=500, null=True)
    allowed_origins = fields.JSONField(default=list)
    api_key_hash = fields.CharField(max_length=128, null=True)
    is_active = fields.BooleanField(default=True)
    # Visitor-facing texts in other languages: {"fr": {"title": ..., "consent_text": ...,
    # "success_text": ...}}; the columns above hold the team's language.
    translations = fields.JSONField(default=dict)
    # The hosted page's look: the company's name, an accent colour (#rrggbb), a logo URL.
    brand_name = fields.CharField(max_length=200, null=True)
    accent_color = fields.CharField(max_length=7, null=True)
    logo_url = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "web_form"


class FormSubmission(Model):
    """A raw submission, stored before anything else happens to it."""

    id = fields.IntField(primary_key=True)
    form: fields.ForeignKeyRelation[WebForm] = fields.ForeignKeyField(
        "models.WebForm", related_name="submissions", on_delete=fields.CASCADE
    )
    form_id: int
    received_at = fields.DatetimeField(auto_now_add=True)
    payload = fields.JSONField()
    address_hash = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=500, null=True)
    referrer = fields.CharField(max_length=1000, null=True)
    utm = fields.JSONField(default=dict)
    consent_text = fields.TextField(null=True)
    idempotency_key = fields.CharField(max_length=128, null=True)
    # Who posted, as far as the adapter could tell (a CallerKind value): an idempotency key
    # replays only for the same kind of caller, and only an API key holder may replace data.
    caller = fields.CharEnumField(CallerKind, max_length=16, null=True)
    status = fields.CharEnumField(
        SubmissionStatus, max_length=16, default=SubmissionStatus.RECEIVED
    )
    reason = fields.TextField(null=True)
    contact: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Contact", related_name="submissions", null=True, on_delete=fields.SET_NULL
    )
    contact_id: int | None
    # What an anonymous post would have changed on the known contact it matched, proposed to
    # its responsible (Apply / Ignore) instead of written: {"fields": {...}, "channels": [...]}.
    proposal = fields.JSONField(null=True)

    class Meta:
        table = "form_submission"
        unique_together = (("form", "idempotency_key"),)
        indexes = (("form_id", "received_at"), ("status",))


class ImportJob(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="imports", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    filename = fields.CharField(max_length=255)
    format = fields.CharField(max_length=16)
    preset = fields.CharField(max_length=32, null=True)
    dedup_policy = fields.CharEnumField(DedupPolicy, max_length=16, default=DedupPolicy.SKIP)
    dry_run = fields.BooleanField(default=False)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.PENDING)
    total_rows = fields.IntField(default=0)
    processed_rows = fields.IntField(default=0)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    duplicate_count = fields.IntField(default=0)
    invalid_count = fields.IntField(default=0)
    rejected_path = fields.CharField(max_length=500, null=True)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    undone_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_job"


class SavedFilter(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Staff", related_name="saved_filters", on_delete=fields.CASCADE
    )
    staff_id: int
    name = fields.CharField(max_length=100)
    params = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_filter"
        unique_together = (("staff", "name"),)


class Secret(Model):
    """A secret made once and shared by every process and restart (the forms' key without FORMS_SECRET)."""

    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_secret"
