from django.urls import path

from . import views

urlpatterns = [
    path("quests/", views.QuestListView.as_view(), name="quests"),
    path("quests/<str:quest_id>/", views.QuestDetailView.as_view(), name="quest-detail"),
    path("quests/<str:quest_id>/join/", views.JoinQuestView.as_view(), name="quest-join"),
    path("quests/<str:quest_id>/leave/", views.LeaveQuestView.as_view(), name="quest-leave"),
    path("quests/<str:quest_id>/leaderboard/", views.QuestLeaderboardView.as_view(), name="quest-leaderboard"),
    path("quests/<str:quest_id>/decision/", views.QuestDecisionView.as_view(), name="quest-decision"),
]
