from tests.events.conftest import empty_job_queue, endpoint, receiver  # noqa: F401  (shared fixtures)
