from django.urls import path

from . import views

urlpatterns = [
    path("activities/", views.ActivityListView.as_view(), name="activities"),
    path("xp/add/", views.AddXPView.as_view(), name="xp-add"),
    path("xp/history/", views.HistoryView.as_view(), name="xp-history"),
]
