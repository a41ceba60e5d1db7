"""Room-number search without a table scan (PostgreSQL only).

The desk finds complaints by a room number's beginning (``istartswith``, which
Django writes as ``UPPER(number::text) LIKE 'X%'``). A trigram index on that
expression answers it, and also ``LIKE '%X%'``; ``pg_trgm`` ships with
PostgreSQL and is a trusted extension (the database owner may create it).
SQLite has no such index and needs none at the embedded default's size.
"""

from django.db import migrations

from servicedesk.core.migration_ops import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("core", "0005_rate_counter")]
    operations = [
        RunSQLOnPostgreSQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS unit_number_trgm "
                "ON core_unit USING gin (UPPER(number::text) gin_trgm_ops)",
            ],
            reverse_sql=["DROP INDEX IF EXISTS unit_number_trgm"],
        )
    ]
