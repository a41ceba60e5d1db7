"""issue 8 at the database level: on PostgreSQL, UPDATE and DELETE of security_auditentry
rows fail (as core_event's, ORG-05)."""

from django.db import migrations

from servicedesk.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]
    operations = [append_only("security_auditentry", "issue 8")]
