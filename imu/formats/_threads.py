"""One small pool of worker threads shared by the readers.

Parsing and the column passes of numpy let go of the interpreter while they work, so two
threads really run side by side on two cores. The pool is made on first use and kept; a
process forked after that (a process pool's worker) makes its own, since the parent's
threads do not exist in the child.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_pool: dict[int, ThreadPoolExecutor] = {}

#: Cores the work may be spread over (at most 4); asked once, since asking costs tens of µs.
_CORES = max(1, min(os.cpu_count() or 1, 4))


def cores() -> int:
    """Return the number of cores the work may be spread over (at most 4)."""
    return _CORES


def executor() -> ThreadPoolExecutor:
    """Return this process's pool of worker threads."""
    pid = os.getpid()
    pool = _pool.get(pid)
    if pool is None:
        _pool.clear()  # a parent's pool, inherited by a fork: its threads are not here
        pool = _pool[pid] = ThreadPoolExecutor(max_workers=3, thread_name_prefix="hopscope-io")
    return pool


def submit(fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
    """Run ``fn(*args)`` on a worker thread; None when no thread can start any more.

    (At interpreter shutdown the pool takes no new work: the caller then does it itself.)
    """
    try:
        return executor().submit(fn, *args)
    except RuntimeError:
        return None
