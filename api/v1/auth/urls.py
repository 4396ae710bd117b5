from django.urls import path

from . import views

urlpatterns = [
    path("auth/csrf/", views.CSRFView.as_view(), name="auth-csrf"),
    path("auth/session/", views.SessionView.as_view(), name="auth-session"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/discord/", views.DiscordView.as_view(), name="auth-discord"),
    path("auth/discord/callback/", views.DiscordCallbackView.as_view(), name="auth-discord-callback"),
    path("auth/token/refresh/", views.RefreshView.as_view(), name="auth-token-refresh"),
]
