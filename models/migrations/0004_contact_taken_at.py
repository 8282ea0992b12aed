"""Leads remember when they were taken ("Take it" on an alert: the first press wins, once)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0003_channel_contact_kind_index")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Contact",
            name="taken_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
