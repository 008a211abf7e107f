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
# The threads() blocks open now, oldest first, and the setting from before the first:
# blocks of several Python threads may end in any order (threads() below).
_open_blocks: list[tuple[object, int, int]] = []  # (token, n, the opening thread's ident)
_before_blocks = 0


def _reset_lock() -> None:  # a lock another thread held at fork() stays held in the child
    global _lock
    _lock = threading.Lock()
    me = threading.get_ident()  # (only the forking thread lives on in the child)
    _open_blocks[:] = [b for b in _open_blocks if b[2] == me]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def set_num_threads(n: int | None) -> None:
    """Set the number of threads every later kernel may use, in every Python thread.

    Parameters
    ----------
    n : int or None
        Threads (>= 1); ``None`` or 0 restores the default: OpenMP's
        ``omp_get_max_threads()`` of the calling thread, which follows ``OMP_NUM_THREADS``
        and ``threadpoolctl.threadpool_limits`` (OpenMP applies such a limit to the thread
        that set it). An explicit ``n`` takes precedence over both until reset.

    Examples
    --------
    >>> import pyact as pa
    >>> pa.set_num_threads(1); pa.get_num_threads()
    1
    >>> pa.set_num_threads(None)
    """
    if n is None:
        n = 0
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"set_num_threads: n must be >= 1 (or 0/None for the default), got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """Threads a kernel may use now.

    Returns
    -------
    int
        ``pa.set_num_threads``'s value if set, else OpenMP's default for the calling
        thread (1 in a process forked after OpenMP ran).

    Examples
    --------
    >>> import pyact as pa
    >>> pa.get_num_threads() >= 1
    True
    """
    return _core.get_num_threads()


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` threads, then restore the previous setting exactly.

    The previous setting is what :func:`set_num_threads` last asked for, so a block
    entered while OpenMP's default is in force returns to the default (and follows a
    later change of ``OMP_NUM_THREADS``-derived defaults), not to a fixed number.

    The setting is the process's: while blocks of several Python threads overlap, the
    most recently entered block still open sets it, whichever ends first, and when the
    last one ends the setting from before the first returns.

    Parameters
    ----------
    n : int
        Threads for the block (>= 1).

    Examples
    --------
    >>> import pyact as pa
    >>> with pa.threads(1):
    ...     pa.get_num_threads()
    1
    """
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"threads: n must be >= 1, got {n}")
    token = object()
    with _lock:
        global _before_blocks
        if not _open_blocks:
            _before_blocks = _core.requested_num_threads()
        _open_blocks.append((token, n, threading.get_ident()))
        _core.set_num_threads(n)
    try:
        yield
    finally:
        with _lock:
            _open_blocks[:] = [b for b in _open_blocks if b[0] is not token]
            _core.set_num_threads(_open_blocks[-1][1] if _open_blocks else _before_blocks)
