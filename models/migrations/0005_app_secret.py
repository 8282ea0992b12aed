"""Secrets generated once and kept in the database, so that every process and every restart
share them (the web forms' signing key when FORMS_SECRET is not set)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_contact_taken_at")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Secret",
            fields=[
                ("name", fields.CharField(primary_key=True, max_length=64)),
                ("value", fields.CharField(max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "app_secret",
                "app": "models",
                "pk_attr": "name",
                "table_description": "A secret made once and shared by every process and restart"
                " (the forms' key without FORMS_SECRET).",
            },
            bases=["Model"],
        ),
    ]
