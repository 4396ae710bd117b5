from django.apps import AppConfig


class XpConfig(AppConfig):
    name = "xp"
    verbose_name = "XP"
