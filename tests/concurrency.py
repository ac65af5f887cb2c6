"""Run work from many threads at once (for PostgreSQL race tests)."""

import threading

from django.db import connection


def run_at_once(count: int, work) -> list[Exception]:
    """Start `count` threads that call `work(i)` together (after a barrier); return their errors.
    Each thread closes its database connection, so the test database can be dropped."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # collected and asserted on by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
