"""Shell: pause Python's cyclic garbage collector around a large pure computation.

Planning allocates many small acyclic objects; the collector's passes over a heap that keeps
growing made 50k apps cost more than five times 10k (docs/benchmarks.md). Switching a
process-wide setting is a side effect, so it lives here, called by the shells that plan
(``workflow.plan_for``, ``review``), never inside the pure planner.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the block, restored to how it was after (even on error)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
