from django.urls import path

from . import views

urlpatterns = [
    path("user/profile/", views.ProfileView.as_view(), name="user-profile"),
    path("users/discord/<str:discord_id>/profile/", views.DiscordProfileView.as_view(), name="user-discord-profile"),
]
