"""Room-number search without a table scan (PostgreSQL only).

The desk finds complaints by a room number's beginning (``istartswith``, which
Django writes as ``UPPER(number::text) LIKE 'X%'``). A trigram index on that
expression answers it, and also ``LIKE '%X%'``; ``pg_trgm`` ships with
PostgreSQL and is a trusted extension (the database owner may create it).
SQLite has no such index and needs none at the embedded default's size.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS unit_number_trgm "
            "ON core_unit USING gin (UPPER(number::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS unit_number_trgm")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_rate_counter")]
    operations = [migrations.RunPython(forwards, backwards)]
