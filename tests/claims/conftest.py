from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_jobs_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests commit the jobs their claims and awards defer (Discord messages, event
    fan-out) and Django's flush does not empty the task queue: leave it empty for the next test."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs CASCADE")
