"""ORG-05 at the database level: on PostgreSQL, UPDATE and DELETE of event rows fail."""

from django.db import migrations

from servicedesk.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [append_only("core_event", "ORG-05")]
