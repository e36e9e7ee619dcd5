"""Run a function in several threads released at the same instant: the races the stores must survive."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")


def all_at_once(fn: Callable[[A], R], args: Iterable[A]) -> list[R]:
    """``fn(arg)`` for every arg, each in its own thread, all started together by a barrier.

    Returns the results in the order of ``args``; an exception in any thread is raised here, so it fails the test.
    """
    args = list(args)
    barrier = threading.Barrier(len(args))

    def go(arg: A) -> R:
        barrier.wait()
        return fn(arg)

    with ThreadPoolExecutor(max_workers=len(args)) as pool:
        futures = [pool.submit(go, arg) for arg in args]
        return [f.result() for f in futures]
