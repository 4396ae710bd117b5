from django.urls import path

from . import views

urlpatterns = [
    path("user/", views.AccountView.as_view(), name="user-account"),
    path("user/profile/", views.ProfileView.as_view(), name="user-profile"),
    path("user/seasons/", views.UserSeasonsView.as_view(), name="user-seasons"),
    path("user/export/", views.ExportView.as_view(), name="user-export"),
    path("users/discord/<str:discord_id>/profile/", views.DiscordProfileView.as_view(), name="user-discord-profile"),
]
