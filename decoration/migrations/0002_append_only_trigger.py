"""DEC-12 at the database level: on PostgreSQL, UPDATE and DELETE of decoration_ledgerentry
rows fail (as core_event's, ORG-05)."""

from django.db import migrations

from servicedesk.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("decoration", "0001_initial")]
    operations = [append_only("decoration_ledgerentry", "DEC-12")]
