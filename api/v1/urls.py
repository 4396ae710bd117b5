"""Version 1 of the API: every area mounts its own urls here."""

from django.urls import include, path

urlpatterns = [
    path("", include("api.v1.ops.urls")),
    path("", include("api.v1.xp.urls")),
    path("", include("api.v1.users.urls")),
    path("", include("api.v1.seasons.urls")),
    path("", include("api.v1.auth.urls")),
    path("", include("api.v1.layers.urls")),
    path("", include("api.v1.discord.urls")),
    path("", include("api.v1.integrations.urls")),
    path("", include("api.v1.webhooks.urls")),
    path("", include("api.v1.showcase.urls")),
    path("", include("api.v1.achievements.urls")),
    path("", include("api.v1.claims.urls")),
    path("", include("api.v1.quests.urls")),
]
