"""issue 8 at the database level: on PostgreSQL, UPDATE and DELETE of security_auditentry rows fail
(as core_event's, ORG-05)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION security_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'security_auditentry is append-only (issue 8)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER security_auditentry_no_update BEFORE UPDATE OR DELETE ON security_auditentry
    FOR EACH ROW EXECUTE FUNCTION security_auditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS security_auditentry_no_update ON security_auditentry;
DROP FUNCTION IF EXISTS security_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
