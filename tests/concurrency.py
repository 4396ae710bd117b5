"""Run test code in many threads at the same moment, each thread on its own database connection."""

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def run_at_once(worker: Callable[[int], T], count: int) -> list[T]:
    """Call ``worker(i)`` for i in 0..count-1 in threads released together by a barrier.

    Each thread closes its own database connection when done. Returns the results in order;
    re-raises the first exception a thread hit (an assertion inside a worker fails the test).
    """
    barrier = threading.Barrier(count)
    results: list[T | None] = [None] * count
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = worker(i)
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
