from django.urls import path

from core.constants.modes import MODES

from . import views

urlpatterns = [
    path("seasons/", views.SeasonListView.as_view(), name="seasons"),
    path("seasons/reality/", views.RealityLeaderboardView.as_view(), name="leaderboard-reality"),
    path("seasons/cyber/", views.CyberLeaderboardView.as_view(), name="leaderboard-cyber"),
    *(
        path(
            f"leaderboards/all-time/{mode}/",
            views.AllTimeLeaderboardView.as_view(),
            {"mode": mode},
            name=f"all-time-{mode}",
        )
        for mode in MODES
    ),
    *(
        path(
            f"leaderboards/cohort/{mode}/",
            views.CohortLeaderboardView.as_view(),
            {"mode": mode},
            name=f"cohort-{mode}",
        )
        for mode in MODES
    ),
]
