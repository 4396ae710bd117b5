"""The clear webhook secret column goes (0002 copied every secret encrypted). A separate
migration: PostgreSQL refuses to alter a table with the data migration's pending trigger events."""

from django.db import migrations, models

import events.models


class Migration(migrations.Migration):
    dependencies = [("events", "0002_webhook_secret_encrypted")]

    operations = [
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default=events.models.new_encrypted_webhook_secret),
        ),
    ]
