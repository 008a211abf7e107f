"""Thread control (SPEC §6). One setting for the whole process: every Python thread's
calls use it. Default: OpenMP's (OMP_NUM_THREADS respected)."""
from __future__ import annotations

import contextlib
import operator
import os
import threading
from typing import Iterator

from . import _core

__all__ = ["set_num_threads", "get_num_threads", "threads"]

_lock = threading.Lock()


def _reset_lock() -> None:  # a lock another thread held at fork() stays held in the child
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def set_num_threads(n: int | None) -> None:
    """Threads every later kernel may use; ``None`` or 0 restores OpenMP's default."""
    if n is None:
        n = 0
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"set_num_threads: n must be >= 1 (or 0/None for the default), got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """Threads a kernel may use now."""
    return _core.get_num_threads()


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """``with pa.threads(n): ...`` runs the block with ``n`` threads, then restores."""
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"threads: n must be >= 1, got {n}")
    with _lock:
        previous = _core.get_num_threads() if _requested() else 0
        _core.set_num_threads(n)
    try:
        yield
    finally:
        _core.set_num_threads(previous)


def _requested() -> bool:
    return _core.requested_num_threads() > 0
