from django.urls import path

from . import views

urlpatterns = [
    path("integrations/strava/", views.StravaConnectionView.as_view(), name="strava-connection"),
    path("integrations/strava/connect/", views.StravaConnectView.as_view(), name="strava-connect"),
    path("integrations/strava/callback/", views.StravaCallbackView.as_view(), name="strava-callback"),
    path("integrations/strava/backfill/", views.StravaBackfillView.as_view(), name="strava-backfill"),
    path("integrations/strava/activities/", views.StravaActivitiesView.as_view(), name="strava-activities"),
    path("integrations/strava/webhook/", views.StravaWebhookView.as_view(), name="strava-webhook"),
]
