"""Cross-process locks on SQLite and Postgres: one holder, a bounded wait that says so, release on exit."""

import pytest

from docent.store.db import engine_for
from docent.store.locks import LockTimeout, exclusive


def test_one_holder_at_a_time_and_a_bounded_wait(state_url):
    engine = engine_for(state_url)
    waited: list[str] = []
    with exclusive(engine, "write-v1", 5):
        with pytest.raises(LockTimeout, match="write-v1"):
            with exclusive(engine, "write-v1", 0.3, on_wait=lambda: waited.append("waiting")):
                pass
        with exclusive(engine, "write-v2", 0.3):  # another name: no wait
            pass
    assert waited == ["waiting"]
    with exclusive(engine, "write-v1", 0.3):  # released on exit
        pass
