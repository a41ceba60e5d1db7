"""The dashboard's month and 12-month trend select records by kind and period (APR-10)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0002_default_criteria")]

    operations = [
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(fields=["kind", "period"], name="assess_kind_period"),
        ),
    ]
