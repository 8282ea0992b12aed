"""Deals, quotes, activities and reminders: what staff do around contacts (F13, F14)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import ActivityKind, ActivityStatus, DeliveryStatus


class Deal(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=255)
    stage = fields.CharField(max_length=50, default="new")
    amount = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="EUR")
    close_date = fields.DateField(null=True)
    company: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Company", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    company_id: int | None
    responsible: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    responsible_id: int | None
    opened = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "deal"
        indexes = (("responsible_id", "deleted_at"),)


class Quote(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=255)
    status = fields.CharField(max_length=50, default="draft")
    amount = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="EUR")
    deal: fields.ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "models.Deal", related_name="quotes", null=True, on_delete=fields.SET_NULL
    )
    deal_id: int | None
    responsible: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="quotes", null=True, on_delete=fields.SET_NULL
    )
    responsible_id: int | None
    opened = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "quote"
        indexes = (("responsible_id", "deleted_at"),)


class ContactDeal(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Contact", related_name="deal_links", on_delete=fields.CASCADE
    )
    contact_id: int
    deal: fields.ForeignKeyRelation[Deal] = fields.ForeignKeyField(
        "models.Deal", related_name="contact_links", on_delete=fields.CASCADE
    )
    deal_id: int

    class Meta:
        table = "contact_deal"
        unique_together = (("contact", "deal"),)
        indexes = (("deal_id", "contact_id"),)


class ContactQuote(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Contact", related_name="quote_links", on_delete=fields.CASCADE
    )
    contact_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="contact_links", on_delete=fields.CASCADE
    )
    quote_id: int

    class Meta:
        table = "contact_quote"
        unique_together = (("contact", "quote"),)
        indexes = (("quote_id", "contact_id"),)


class Activity(Model):
    """A call, meeting or task owned by a contact, company or deal."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    subject = fields.CharField(max_length=255)
    description = fields.TextField(null=True)
    start_at = fields.DatetimeField()
    duration_minutes = fields.IntField(default=30)
    status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.PLANNED)
    result = fields.TextField(null=True)
    responsible: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    responsible_id: int | None
    contact: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Contact", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    contact_id: int | None
    company: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Company", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    company_id: int | None
    deal: fields.ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "models.Deal", related_name="activities", null=True, on_delete=fields.CASCADE
    )
    deal_id: int | None
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="activities_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    escalated_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "activity"
        indexes = (
            ("responsible_id", "status", "start_at"),
            ("contact_id",),
            ("status", "start_at"),
        )


class Reminder(Model):
    """A reminder row is the schedule: sweepers claim due rows with a conditional update."""

    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="reminders", on_delete=fields.CASCADE
    )
    activity_id: int
    staff: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Staff", related_name="reminders", on_delete=fields.CASCADE
    )
    staff_id: int
    offset_minutes = fields.IntField(default=0)
    due_at = fields.DatetimeField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "reminder"
        unique_together = (("activity", "staff", "offset_minutes"),)
        indexes = (("status", "due_at"),)
