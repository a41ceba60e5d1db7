"""DEC-12 at the database level: on PostgreSQL, UPDATE and DELETE of decoration_ledgerentry rows fail
(as core_event's, ORG-05)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION decoration_ledgerentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'decoration_ledgerentry is append-only (DEC-12)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER decoration_ledgerentry_no_update BEFORE UPDATE OR DELETE ON decoration_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION decoration_ledgerentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS decoration_ledgerentry_no_update ON decoration_ledgerentry;
DROP FUNCTION IF EXISTS decoration_ledgerentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("decoration", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
