from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="community-index"),
    path("players/<int:user_id>/", views.player, name="community-player"),
]
