from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from . import views

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("health/", views.HealthView.as_view(), name="health"),
    path("health/ready/", views.ReadyView.as_view(), name="health-ready"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        # GET only: DRF's OPTIONS metadata cannot be rendered by the HTML renderer of this page.
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny], metadata_class=None),
        name="docs",
    ),
]
