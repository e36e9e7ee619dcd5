"""Review fixtures: an empty migrated state store per test on SQLite and on Postgres, a settable clock."""

from __future__ import annotations

import pytest

from docent.review.queue import ReviewQueue
from tests.docent.review.support import T0, Clock


@pytest.fixture
def url(state_url) -> str:
    """An empty state store (SQLite, then Postgres)."""
    return state_url


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def queue(url, clock) -> ReviewQueue:
    return ReviewQueue(url, clock=clock)
