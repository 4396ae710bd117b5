"""Usernames are public (leaderboards): rename those that were made from the Discord id
(``discord_<id>`` for accounts the bot created, ``<name>_<id>`` after a username clash)."""

import secrets

from django.db import migrations


def rename(apps, schema_editor):  # type: ignore[no-untyped-def]
    user_model = apps.get_model("users", "CustomUser")
    for user in user_model.objects.exclude(discord_id=None).only("id", "username", "discord_id").iterator():
        name, discord_id = user.username, user.discord_id
        if name == f"discord_{discord_id}" or name.startswith(f"discord_{discord_id}_"):
            new = f"player_{secrets.token_hex(6)}"
        elif name.endswith(f"_{discord_id}"):
            new = f"{name[: -len(discord_id) - 1][:141]}_{secrets.token_hex(4)}"
        else:
            continue
        user_model.objects.filter(pk=user.pk).update(username=new)


class Migration(migrations.Migration):
    dependencies = [("users", "0002_account_self_service")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop, elidable=True)]
