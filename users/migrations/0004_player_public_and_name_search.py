from django.db import migrations, models

PREFIX_INDEXES = [
    ("user_display_name_prefix", "display_name"),
    ("user_username_prefix", "username"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("users", "0003_usernames_without_discord_ids"),
    ]

    operations = [
        migrations.AddField(
            model_name="customuser", name="public", field=models.BooleanField(default=True, db_default=True)
        ),
        *[
            migrations.RunSQL(
                # In the "C" collation: a LIKE 'ADA%' prefix is an index range, and the matches
                # come out in index order (core/selectors/showcase/showcase.py search_players).
                f'CREATE INDEX "{name}" ON "users_customuser" ((UPPER("{column}") COLLATE "C"))',
                f'DROP INDEX IF EXISTS "{name}"',
            )
            for name, column in PREFIX_INDEXES
        ],
    ]
