"""Root URLs: the versioned API and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.v1.ops.metrics import MetricsView

urlpatterns = [
    # A browser that opens the server lands on the API's index (links to the docs).
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("api/v1/", include("api.v1.urls")),
    path("admin/", admin.site.urls),
    path("community/", include("showcase.urls")),
    # Prometheus (docs/operations.md): absent unless METRICS_TOKEN is set, then bearer only.
    path("metrics", MetricsView.as_view(), name="metrics"),
]

handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
