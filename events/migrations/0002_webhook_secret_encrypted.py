"""Webhook signing secrets encrypted at rest (FIELD_ENCRYPTION_KEY, ultrabackend/crypto.py), like the
Strava and Discord tokens: the clear column goes once every secret is copied encrypted."""

from django.db import migrations, models


def encrypt_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    from ultrabackend import crypto

    endpoint_model = apps.get_model("events", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.only("id", "secret").iterator():
        endpoint_model.objects.filter(pk=endpoint.pk).update(secret_encrypted=crypto.encrypt(endpoint.secret))


def decrypt_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    from ultrabackend import crypto

    endpoint_model = apps.get_model("events", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.only("id", "secret_encrypted").iterator():
        endpoint_model.objects.filter(pk=endpoint.pk).update(secret=crypto.decrypt(endpoint.secret_encrypted))


class Migration(migrations.Migration):
    dependencies = [("events", "0001_domain_events_and_webhooks")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(max_length=100, default=""),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
