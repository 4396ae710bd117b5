from django.urls import path

from . import views

urlpatterns = [
    path("discord/interactions/", views.InteractionsView.as_view(), name="discord-interactions"),
    path("discord/linked-roles/", views.LinkedRolesView.as_view(), name="discord-linked-roles"),
    path(
        "discord/linked-roles/callback/", views.LinkedRolesCallbackView.as_view(), name="discord-linked-roles-callback"
    ),
]
