from django.urls import path

from . import views

urlpatterns = [
    path("user/streaks/", views.StreaksView.as_view(), name="user-streaks"),
    path("user/streaks/<str:mode>/freeze/", views.StreakFreezeView.as_view(), name="user-streak-freeze"),
    path("achievements/", views.AchievementCatalogueView.as_view(), name="achievements"),
    path("users/<int:user_id>/achievements/", views.PlayerAchievementsView.as_view(), name="user-achievements"),
    path("boosts/", views.BoostListView.as_view(), name="boosts"),
]
