from django.urls import path, re_path

from . import views

urlpatterns = [
    path("seasons/", views.SeasonListView.as_view(), name="seasons"),
    path("seasons/reality/", views.RealityLeaderboardView.as_view(), name="leaderboard-reality"),
    path("seasons/cyber/", views.CyberLeaderboardView.as_view(), name="leaderboard-cyber"),
    re_path(
        r"^leaderboards/all-time/(?P<mode>reality|cyber)/$",
        views.AllTimeLeaderboardView.as_view(),
        name="leaderboard-all-time",
    ),
]
