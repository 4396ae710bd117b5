from django.urls import path

from . import views

urlpatterns = [
    path("layers/", views.LayerListView.as_view(), name="layers"),
    path("events/", views.EventListView.as_view(), name="events"),
    path("events/<str:event_id>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<str:event_id>/join/", views.JoinEventView.as_view(), name="event-join"),
    path("events/<str:event_id>/leave/", views.LeaveEventView.as_view(), name="event-leave"),
    path("events/<str:event_id>/participants/", views.EventParticipantsView.as_view(), name="event-participants"),
]
