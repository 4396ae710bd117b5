from django.apps import AppConfig


class ShowcaseConfig(AppConfig):
    name = "showcase"
    verbose_name = "Rank cards and community pages"
