"""One small pool of worker threads shared by the readers.

Parsing and the column passes of numpy let go of the interpreter while they work, so two
threads really run side by side on two cores. The pool is made on first use and kept.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

_pool: list[ThreadPoolExecutor] = []


def cores() -> int:
    """Return the number of cores the work may be spread over (at most 4)."""
    return max(1, min(os.cpu_count() or 1, 4))


def executor() -> ThreadPoolExecutor:
    """Return the shared pool of worker threads."""
    if not _pool:
        _pool.append(ThreadPoolExecutor(max_workers=3, thread_name_prefix="hopscope-io"))
    return _pool[0]
