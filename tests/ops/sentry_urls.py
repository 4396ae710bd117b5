"""A test-only URLconf: the project's URLs and a view that raises (tests/ops/test_sentry.py)."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from ultrabackend.urls import urlpatterns as project_urls

handler500 = "api.errors.server_error"


class Explode(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Request) -> None:
        raise RuntimeError("a view went wrong")


urlpatterns = [path("test-only/explode/", Explode.as_view()), *project_urls]
