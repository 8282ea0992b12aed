"""Staff, departments, roles and invites: who may do what (F9)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import Level


class Department(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    parent: fields.ForeignKeyNullableRelation["Department"] = fields.ForeignKeyField(
        "models.Department", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    head: fields.ForeignKeyNullableRelation["Staff"] = fields.ForeignKeyField(
        "models.Staff", related_name="headed_departments", null=True, on_delete=fields.SET_NULL
    )
    head_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "department"


class Role(Model):
    """A named set of levels, one per action. Staff may hold several and the highest level wins."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    read_level = fields.IntEnumField(Level, default=Level.NONE)
    add_level = fields.IntEnumField(Level, default=Level.NONE)
    edit_level = fields.IntEnumField(Level, default=Level.NONE)
    delete_level = fields.IntEnumField(Level, default=Level.NONE)
    export_level = fields.IntEnumField(Level, default=Level.NONE)
    import_level = fields.IntEnumField(Level, default=Level.NONE)
    can_manage_settings = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "role"


class Staff(Model):
    id = fields.IntField(primary_key=True)
    telegram_id = fields.BigIntField(unique=True)
    name = fields.CharField(max_length=200, default="")
    username = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=8, default="en")
    timezone = fields.CharField(max_length=64, default="UTC")
    agenda_hour = fields.SmallIntField(null=True)
    is_admin = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True, db_index=True)
    is_unreachable = fields.BooleanField(default=False)
    unreachable_reason = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "staff"


class StaffDepartment(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="department_links", on_delete=fields.CASCADE
    )
    staff_id: int
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="staff_links", on_delete=fields.CASCADE
    )
    department_id: int

    class Meta:
        table = "staff_department"
        unique_together = (("staff", "department"),)


class StaffRole(Model):
    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="role_links", on_delete=fields.CASCADE
    )
    staff_id: int
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="staff_links", on_delete=fields.CASCADE
    )
    role_id: int

    class Meta:
        table = "staff_role"
        unique_together = (("staff", "role"),)


class Invite(Model):
    """A single-use deep-link token that turns a Telegram user into staff."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="invites", on_delete=fields.CASCADE
    )
    role_id: int
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="invites", null=True, on_delete=fields.SET_NULL
    )
    department_id: int | None
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="invites_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="invites_used", null=True, on_delete=fields.SET_NULL
    )
    used_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite"
