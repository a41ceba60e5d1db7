"""Complaint-number search without a table scan (PostgreSQL only).

The queue's search box matches any part of a number (``icontains``: Django writes
``UPPER(number::text) LIKE '%X%'``). Without an index a number that matches
nothing, or only old records, walked all 100 000 rows newest first (243 ms for
the page); with this trigram index PostgreSQL reads only the matching rows
(bench/README.md). The extension comes from core's migration 0006.
"""

from django.db import migrations

from servicedesk.core.migration_ops import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_fillfactor"), ("core", "0006_unit_number_trigram")]
    operations = [
        RunSQLOnPostgreSQL(
            sql=[
                "CREATE INDEX IF NOT EXISTS complaint_number_trgm "
                "ON complaints_complaint USING gin (UPPER(number::text) gin_trgm_ops)"
            ],
            reverse_sql=["DROP INDEX IF EXISTS complaint_number_trgm"],
        )
    ]
