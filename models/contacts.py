"""Contacts, their channels, types, sources, custom fields and card layout (F1-F5)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import ChannelKind, FieldType


class ContactType(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    sort = fields.IntField(default=0)

    class Meta:
        table = "contact_type"
        ordering = ("sort", "id")


class Source(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    sort = fields.IntField(default=0)

    class Meta:
        table = "source"
        ordering = ("sort", "id")


class Contact(Model):
    """A person. Search keys are derived columns kept in step by the core on every write."""

    id = fields.IntField(primary_key=True)
    honorific = fields.CharField(max_length=30, null=True)
    first_name = fields.CharField(max_length=100, null=True)
    middle_name = fields.CharField(max_length=100, null=True)
    last_name = fields.CharField(max_length=100, null=True)
    birthdate = fields.DateField(null=True)
    position = fields.CharField(max_length=200, null=True)
    comment = fields.TextField(null=True)
    type: fields.ForeignKeyNullableRelation[ContactType] = fields.ForeignKeyField(
        "models.ContactType", related_name="contacts", null=True, on_delete=fields.RESTRICT
    )
    type_id: int | None
    source: fields.ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "models.Source", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    source_id: int | None
    source_description = fields.TextField(null=True)
    responsible: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    responsible_id: int | None
    opened = fields.BooleanField(default=False)
    include_in_export = fields.BooleanField(default=True)
    utm_source = fields.CharField(max_length=200, null=True)
    utm_medium = fields.CharField(max_length=200, null=True)
    utm_campaign = fields.CharField(max_length=200, null=True)
    utm_content = fields.CharField(max_length=200, null=True)
    utm_term = fields.CharField(max_length=200, null=True)
    web_form: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.WebForm", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    web_form_id: int | None
    import_job: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.ImportJob", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    import_job_id: int | None
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="contacts_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    updated_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="contacts_updated", null=True, on_delete=fields.SET_NULL
    )
    updated_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)
    deleted_at = fields.DatetimeField(null=True)
    # Set by the first "Take it" on a lead alert (F8): a lead is taken once, by one person.
    taken_at = fields.DatetimeField(null=True)
    merged_into: fields.ForeignKeyNullableRelation["Contact"] = fields.ForeignKeyField(
        "models.Contact", related_name="merged_from", null=True, on_delete=fields.SET_NULL
    )
    merged_into_id: int | None
    # Derived: folded name/e-mail/company words, phone digit forms, duplicate name key.
    search_text = fields.TextField(default="")
    search_phones = fields.TextField(default="")
    name_key = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "contact"
        indexes = (
            ("responsible_id", "deleted_at"),
            ("deleted_at", "updated_at"),
            ("name_key",),
            ("created_at",),
            ("type_id",),
            ("source_id",),
            ("web_form_id",),
            ("import_job_id",),
        )


class ContactObserver(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="observer_links", on_delete=fields.CASCADE
    )
    contact_id: int
    staff: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Staff", related_name="observed_links", on_delete=fields.CASCADE
    )
    staff_id: int

    class Meta:
        table = "contact_observer"
        unique_together = (("contact", "staff"),)
        indexes = (("staff_id", "contact_id"),)


class Company(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=255)
    industry = fields.CharField(max_length=100, null=True)
    comment = fields.TextField(null=True)
    responsible: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Staff", related_name="companies", null=True, on_delete=fields.SET_NULL
    )
    responsible_id: int | None
    opened = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)
    deleted_at = fields.DatetimeField(null=True)
    title_key = fields.CharField(max_length=255, default="", db_index=True)

    class Meta:
        table = "company"


class Channel(Model):
    """A phone, e-mail, website or messenger of a contact or a company, keeping what was typed."""

    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="channels", null=True, on_delete=fields.CASCADE
    )
    contact_id: int | None
    company: fields.ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="channels", null=True, on_delete=fields.CASCADE
    )
    company_id: int | None
    kind = fields.CharEnumField(ChannelKind, max_length=16)
    value_type = fields.CharField(max_length=16)
    value = fields.CharField(max_length=255)
    normalized = fields.CharField(max_length=255)
    extension = fields.CharField(max_length=20, null=True)
    is_primary = fields.BooleanField(default=False)
    sort = fields.IntField(default=0)

    class Meta:
        table = "channel"
        # (contact_id, kind, sort): a card's phones in order; without it planners with no
        # statistics yet pick (kind, normalized) and read every phone in the database.
        indexes = (("kind", "normalized"), ("contact_id", "kind", "sort"), ("company_id",))


class ContactCompany(Model):
    id = fields.IntField(primary_key=True)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="company_links", on_delete=fields.CASCADE
    )
    contact_id: int
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="contact_links", on_delete=fields.CASCADE
    )
    company_id: int
    is_primary = fields.BooleanField(default=False)

    class Meta:
        table = "contact_company"
        unique_together = (("contact", "company"),)
        indexes = (("company_id", "contact_id"),)


class CustomField(Model):
    """A field an admin added to the contact card (F3). Its type never changes once created."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=200)
    label_fr = fields.CharField(max_length=200, null=True)
    type = fields.CharEnumField(FieldType, max_length=16)
    required = fields.BooleanField(default=False)
    multiple = fields.BooleanField(default=False)
    default = fields.JSONField(null=True)
    options = fields.JSONField(default=list)
    in_filter = fields.BooleanField(default=False)
    sort = fields.IntField(default=100)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "custom_field"


class CustomFieldValue(Model):
    """One value of a custom field, in typed columns so that filters work on SQLite too."""

    id = fields.IntField(primary_key=True)
    field: fields.ForeignKeyRelation[CustomField] = fields.ForeignKeyField(
        "models.CustomField", related_name="values", on_delete=fields.CASCADE
    )
    field_id: int
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="custom_values", on_delete=fields.CASCADE
    )
    contact_id: int
    position = fields.SmallIntField(default=0)
    value_text = fields.TextField(null=True)
    value_int = fields.BigIntField(null=True)
    value_decimal = fields.DecimalField(max_digits=20, decimal_places=6, null=True)
    value_bool = fields.BooleanField(null=True)
    value_date = fields.DateField(null=True)
    value_datetime = fields.DatetimeField(null=True)

    class Meta:
        table = "custom_field_value"
        indexes = (
            ("contact_id", "field_id"),
            ("field_id", "value_int"),
            ("field_id", "value_date"),
        )


class CardSection(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    title_fr = fields.CharField(max_length=200, null=True)
    sort = fields.IntField(default=0)
    placements: fields.ReverseRelation["CardPlacement"]

    class Meta:
        table = "card_section"
        ordering = ("sort", "id")


class CardPlacement(Model):
    """Where a field (built-in name or `uf:<code>`) sits on the card, and whether it is hidden (F5)."""

    id = fields.IntField(primary_key=True)
    section: fields.ForeignKeyRelation[CardSection] = fields.ForeignKeyField(
        "models.CardSection", related_name="placements", on_delete=fields.CASCADE
    )
    section_id: int
    field = fields.CharField(max_length=80, unique=True)
    sort = fields.IntField(default=0)
    hidden = fields.BooleanField(default=False)

    class Meta:
        table = "card_placement"
        ordering = ("sort", "id")
