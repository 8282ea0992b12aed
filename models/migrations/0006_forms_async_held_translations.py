"""Web forms answer before processing and keep what they hold: who posted a submission
(`caller`), what an anonymous post proposes to a known contact (`proposal`), submissions held
over a rate limit (status `held`), and per-language texts and branding of a form."""

import functools
from json import dumps, loads
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.enums import CallerKind, SubmissionStatus


class DescriptionOnly(ops.AlterField):
    """A field change that is only its description (the enum's new value, `held`): the
    state moves, the database has nothing to do. Tortoise 1.1.9 alters a SQLite column by
    rebuilding the table, which dropped form_submission's unique (form, idempotency_key) and
    its indexes (seen: idempotency keys stopped deduplicating)."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("models", "0005_app_secret")]

    initial = False

    operations = [
        DescriptionOnly(
            model_name="FormSubmission",
            name="status",
            field=fields.CharEnumField(
                default=SubmissionStatus.RECEIVED,
                description="RECEIVED: received\nCREATED: created\nMERGED: merged\nSPAM: spam\n"
                "REJECTED: rejected\nFAILED: failed\nHELD: held",
                enum_type=SubmissionStatus,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="FormSubmission",
            name="caller",
            field=fields.CharEnumField(
                null=True,
                description="API: api\nPAGE: page\nORIGIN: origin\nANONYMOUS: anonymous",
                enum_type=CallerKind,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="FormSubmission",
            name="proposal",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="WebForm",
            name="accent_color",
            field=fields.CharField(null=True, max_length=7),
        ),
        ops.AddField(
            model_name="WebForm",
            name="brand_name",
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name="WebForm",
            name="logo_url",
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name="WebForm",
            name="translations",
            field=fields.JSONField(
                default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
    ]
