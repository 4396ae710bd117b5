from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<str:webhook_id>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
]
