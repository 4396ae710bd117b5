from django.apps import AppConfig


class AppTokensConfig(AppConfig):
    name = "apptokens"
    verbose_name = "App tokens"
    default_auto_field = "django.db.models.BigAutoField"
