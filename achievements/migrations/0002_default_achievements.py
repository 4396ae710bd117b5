"""The default achievements every database has (editable in the admin afterwards)."""

from decimal import Decimal

from django.db import migrations

# key, kind, mode, activity, (bronze, silver, gold), secret, icon, name en/de, description en/de
DEFAULTS = (
    ("first_steps", "entries", "", "", (1, None, None), False, "footprints",
     "First steps", "Erste Schritte", "Earn your first XP.", "Verdiene deine ersten XP."),
    ("level_5", "level", "", "", (5, None, None), False, "star",
     "Level 5", "Level 5", "Reach level 5.", "Erreiche Level 5."),
    ("level_10", "level", "", "", (10, None, None), False, "star",
     "Level 10", "Level 10", "Reach level 10.", "Erreiche Level 10."),
    ("level_25", "level", "", "", (25, None, None), False, "star",
     "Level 25", "Level 25", "Reach level 25.", "Erreiche Level 25."),
    ("streak_7", "streak", "", "", (7, None, None), False, "flame",
     "One week strong", "Eine Woche stark", "Keep a 7-day streak.", "Halte eine Serie von 7 Tagen."),
    ("streak_30", "streak", "", "", (30, None, None), False, "flame",
     "Thirty days", "Dreißig Tage", "Keep a 30-day streak.", "Halte eine Serie von 30 Tagen."),
    ("season_podium", "season_rank", "", "", (3, 2, 1), False, "podium",
     "Season podium", "Saison-Podest", "Finish a season in the top 3 of your league.",
     "Beende eine Saison unter den ersten 3 deiner Liga."),
    ("xp_collector", "total_xp", "", "", (1000, 10000, 100000), False, "gem",
     "XP collector", "XP-Sammler", "Earn XP over time.", "Sammle mit der Zeit XP."),
    ("regular", "entries", "", "", (10, 100, 1000), False, "calendar",
     "Regular", "Stammgast", "Log activities again and again.", "Trage immer wieder Aktivitäten ein."),
    ("marathoner", "activity_units", "", "running", (Decimal("42.2"), 200, 1000), False, "shoe",
     "Marathoner", "Marathonläufer", "Run a marathon's distance and more, in total.",
     "Laufe insgesamt die Strecke eines Marathons und mehr."),
    ("quest_taker", "quests_completed", "", "", (1, 10, 50), False, "scroll",
     "Quest taker", "Questjäger", "Complete quests.", "Schließe Quests ab."),
    ("fair_judge", "reviews_matched", "", "", (1, 10, 50), False, "scales",
     "Fair judge", "Gerechter Richter", "Review claims the way the community decided.",
     "Bewerte Einreichungen so, wie die Gemeinschaft entschied."),
    ("league_climber", "season_league", "", "", (2, 3, 4), False, "ladder",
     "League climber", "Ligakletterer", "Reach a higher league at a season close.",
     "Erreiche zum Saisonende eine höhere Liga."),
    ("deep_diver", "layer", "cyber", "", (1, 2, 3), False, "layers",
     "Deep diver", "Tiefentaucher", "Reach the deeper cyber layers.", "Erreiche tiefere Cyber-Layer."),
    ("centurion", "streak", "", "", (100, None, None), True, "crown",
     "Centurion", "Zenturio", "A 100-day streak.", "Eine Serie von 100 Tagen."),
)


def install(apps, schema_editor):
    Achievement = apps.get_model("achievements", "Achievement")
    for position, (key, kind, mode, activity, tiers, secret, icon, name_en, name_de, desc_en, desc_de) in enumerate(
        DEFAULTS
    ):
        bronze, silver, gold = (None if t is None else Decimal(t) for t in tiers)
        Achievement.objects.update_or_create(
            key=key,
            defaults={
                "kind": kind,
                "mode": mode,
                "activity_key": activity,
                "bronze": bronze,
                "silver": silver,
                "gold": gold,
                "secret": secret,
                "icon": icon,
                "name_en": name_en,
                "name_de": name_de,
                "description_en": desc_en,
                "description_de": desc_de,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("achievements", "0001_streaks_achievements_trophies_boosts")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
