"""The background writer: ordered, retried on transient store errors, checkpoints coalesced."""

from __future__ import annotations

import threading
import time

import sqlalchemy.exc

from docent.chat.finalize import Finalizer


def test_jobs_run_in_order_and_flush_waits_for_them():
    done: list[int] = []
    f = Finalizer()
    for i in range(20):
        f.submit(lambda i=i: (time.sleep(0.005), done.append(i)), f"job {i}")
    assert f.flush(10)
    assert done == list(range(20)) and f.backlog == 0
    assert len(f.lags_ms) == 20
    f.close()


def test_waiting_for_a_tag_waits_for_its_jobs_alone():
    release, done = threading.Event(), []
    f = Finalizer()
    f.submit(lambda: (time.sleep(0.2), done.append("c1")), "finalize m1", tag="c1")
    f.submit(lambda: (release.wait(10), done.append("slow")), "ground m1")  # untagged, and slow
    assert f.wait_for_tag("never-used", timeout=0)
    assert f.wait_for_tag("c1", timeout=5) and done == ["c1"]  # without waiting for the slow job
    assert f.backlog == 1
    f.submit(lambda: done.append("c1 again"), "finalize m2", tag="c1")  # queued behind the slow job
    assert not f.wait_for_tag("c1", timeout=0.2)
    release.set()
    assert f.wait_for_tag("c1", timeout=5) and done == ["c1", "slow", "c1 again"]
    f.close()


def test_a_transient_store_error_is_retried_until_the_write_lands():
    attempts = []

    def flaky():
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise sqlalchemy.exc.OperationalError("UPDATE messages", {}, Exception("database is locked"))

    f = Finalizer(first_backoff_s=0.01)
    f.submit(flaky, "finalize m1")
    assert f.flush(10)
    assert len(attempts) == 3 and f.failures == 0
    f.close()


def test_a_permanent_error_is_logged_and_the_queue_goes_on(caplog):
    done = []
    f = Finalizer()
    f.submit(lambda: 1 / 0, "broken job")
    f.submit(lambda: done.append("next"), "next job")
    assert f.flush(10)
    assert done == ["next"] and f.failures == 1
    assert "broken job failed" in caplog.text
    f.close()


def test_a_store_that_stays_down_is_given_up_on_after_the_retry_window():
    def down():
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    f = Finalizer(retry_for_s=0.2, first_backoff_s=0.02)
    began = time.monotonic()
    f.submit(down, "finalize m2")
    assert f.flush(10)
    assert f.failures == 1 and 0.1 < time.monotonic() - began < 2
    f.close()


def test_checkpoints_of_one_message_coalesce_behind_a_slow_store():
    gate = threading.Event()
    written: list[str] = []
    f = Finalizer()
    f.submit(gate.wait, "slow write")  # the store is busy
    for i in range(10):
        f.submit(lambda i=i: written.append(f"cp{i}"), "checkpoint", coalesce="cp:m1")
    f.submit(lambda: written.append("other"), "checkpoint", coalesce="cp:m2")
    gate.set()
    assert f.flush(10)
    assert written == ["cp9", "other"]  # only the latest text of m1 was written
    f.close()
