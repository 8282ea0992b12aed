"""Channel look-ups by contact and kind (result rows, cards) get their own index."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_search")]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name="Channel",
            name=None,
            fields=["contact_id", "sort"],
        ),
        ops.AddIndex(
            model_name="Channel",
            index=Index(fields=["contact_id", "kind", "sort"]),
        ),
    ]
