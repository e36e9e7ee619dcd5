"""Cross-process locks on SQLite and Postgres: one holder, a bounded wait that says so, release on exit."""

import os
import re
import socket

import pytest

from docent.store.db import engine_for
from docent.store.locks import LockTimeout, exclusive


def test_one_holder_at_a_time_and_a_bounded_wait_that_names_the_holder(state_url):
    engine = engine_for(state_url)
    waited: list[str] = []
    me = f"{socket.gethostname()}:{os.getpid()} since "
    with exclusive(engine, "write-v1", 5):
        with pytest.raises(LockTimeout, match=f"write-v1: still held by {re.escape(me)}"):
            with exclusive(engine, "write-v1", 0.3, on_wait=waited.append):
                pass
        with exclusive(engine, "write-v2", 0.3):  # another name: no wait
            pass
    assert len(waited) == 1 and waited[0].startswith(me)
    with exclusive(engine, "write-v1", 0.3):  # released on exit
        pass
