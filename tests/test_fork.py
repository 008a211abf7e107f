"""Fork safety: a process that has run multi-threaded OpenMP kernels forks
(``multiprocessing`` with the fork start method, ``ProcessPoolExecutor``) and the
children compute with pyact, correctly and without hanging.

GNU OpenMP's thread pool does not survive fork(): a parallel region in the child waits
for threads that do not exist. pyact's pthread_atfork child handler (src/cpp/threads.cpp)
makes kernels run on the calling thread in a forked child; os.register_at_fork handlers
in the Python modules replace locks another thread may have held at the fork.
Every child is waited for with a timeout, so a hang fails the test instead of CI.
"""
from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing as mp
import os
import threading
import warnings

import numpy as np
import pytest

import pyact as pa
from pyact import _core, functional, registry

from conftest import catalog, example_params
from reference import REF
from refcheck import assert_matches

threads_module = importlib.import_module("pyact.threads")  # pa.threads is the function

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")

TIMEOUT = 60   # seconds a child may take; more means it hangs
N = 1 << 18    # above the thread grain of every kernel, so kernels would split
ACTS = [a for a in catalog() if a.name in REF]


def _x(dtype=np.float32) -> np.ndarray:
    x = np.linspace(-8, 8, N).astype(dtype)
    x[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return x


def _compute(name: str, dtype=np.float32) -> tuple[int, bytes, bytes]:
    """In the child: thread count seen, forward and backward bits, with threads asked for."""
    params = example_params(registry.spec_of(name))
    x = _x(dtype)
    pa.set_num_threads(4)
    with pa.threads(2):
        y = pa.get(name, **params)(x)
        g = pa.grad(name, np.ones_like(x), x=x, **params)
    return pa.get_num_threads(), y.tobytes(), g.tobytes()


@pytest.fixture(scope="module")
def parent_results():
    """The parent's results, computed with 2 OpenMP threads (so libgomp's pool exists
    before any fork below) and checked against the float64 references."""
    requested = _core.requested_num_threads()
    pa.set_num_threads(2)
    x = _x()
    out = {}
    try:
        for act in ACTS:
            params = example_params(act)
            y = pa.get(act.name, **params)(x)
            g = pa.grad(act.name, np.ones_like(x), x=x, **params)
            # every 61st point against the reference (the mpmath tails of gelu's took 4
            # minutes over all of them); the children must then match all bits of y and g
            s = slice(None, None, 61)
            assert_matches(y[s], act.name, x[s], params, what=f"{act.name} fwd")
            assert_matches(g[s], act.name, x[s], params, g=np.ones_like(x[s]), what=f"{act.name} bwd")
            out[act.name] = (y.tobytes(), g.tobytes())
    finally:
        pa.set_num_threads(requested)
    return out


def _fork_context():
    return mp.get_context("fork")


def _quiet_fork():
    # Python >= 3.12 warns (DeprecationWarning) when forking a process with threads: that
    # is exactly the situation under test.
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore", DeprecationWarning)
    return w


def _check(parent_results, results):
    for name, (threads_seen, y, g) in results:
        assert threads_seen == 1, f"{name}: forked child reports {threads_seen} threads"
        assert y == parent_results[name][0], f"{name}: forward in the child differs from the parent's"
        assert g == parent_results[name][1], f"{name}: backward in the child differs from the parent's"


def _named(name):
    return name, _compute(name)


def test_multiprocessing_pool_fork(parent_results):
    w = _quiet_fork()
    try:
        with _fork_context().Pool(2) as pool:
            res = pool.map_async(_named, [a.name for a in ACTS])
            try:
                results = res.get(TIMEOUT)
            except mp.TimeoutError:
                pool.terminate()
                pytest.fail(f"forked Pool workers hung for {TIMEOUT} s")
    finally:
        w.__exit__(None, None, None)
    _check(parent_results, [(n, r) for n, r in results])


def test_process_pool_executor_fork(parent_results):
    w = _quiet_fork()
    try:
        ex = cf.ProcessPoolExecutor(max_workers=2, mp_context=_fork_context())
        try:
            futures = {a.name: ex.submit(_compute, a.name) for a in ACTS}
            results = [(n, f.result(TIMEOUT)) for n, f in futures.items()]
        except cf.TimeoutError:
            for p in list(getattr(ex, "_processes", {}).values()):
                p.kill()
            pytest.fail(f"ProcessPoolExecutor workers hung for {TIMEOUT} s")
        finally:
            ex.shutdown(wait=False, cancel_futures=True)
    finally:
        w.__exit__(None, None, None)
    _check(parent_results, results)


def _child_main(conn, name):
    try:
        conn.send(("ok", _compute(name)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        conn.send(("error", repr(e)))
    conn.close()


def _run_child(target, *args):
    """Fork one child running target(conn, *args); return what it sent."""
    ctx = _fork_context()
    recv, send = ctx.Pipe(duplex=False)
    w = _quiet_fork()
    try:
        p = ctx.Process(target=target, args=(send, *args))
        p.start()
    finally:
        w.__exit__(None, None, None)
    send.close()
    ready = recv.poll(TIMEOUT)
    if not ready:
        p.kill()
        p.join()
        pytest.fail(f"forked child hung for {TIMEOUT} s")
    msg = recv.recv()
    p.join(TIMEOUT)
    assert msg[0] == "ok", msg[1]
    return msg[1]


def test_fork_while_another_thread_runs_kernels(parent_results):
    """Fork while a second Python thread is inside multi-threaded kernels."""
    name = "relu" if "relu" in parent_results else next(iter(parent_results))
    stop = threading.Event()
    errors = []

    def busy():
        try:
            x = np.random.default_rng(0).normal(size=1 << 20).astype(np.float32)
            with pa.threads(2):
                while not stop.is_set():
                    pa.get(name, **example_params(registry.spec_of(name)))(x)
        except BaseException as e:  # noqa: BLE001
            errors.append(repr(e))

    t = threading.Thread(target=busy, daemon=True)
    t.start()
    try:
        for _ in range(3):
            _check(parent_results, [(name, _run_child(_child_main, name))])
    finally:
        stop.set()
        t.join(TIMEOUT)
    assert not errors and not t.is_alive(), errors


def _child_uses_locks(conn):
    try:
        pa.register("forked_child_act", np.negative, overwrite=True)
        with pa.threads(2):
            pass
        x = np.linspace(-1, 1, 5)
        y = pa.leaky_relu(x, negative_slope=0.123456)  # a new parameter set: the kernel cache
        conn.send(("ok", (pa.get("forked_child_act")(x).tolist(), y.tolist())))
    except BaseException as e:  # noqa: BLE001
        conn.send(("error", repr(e)))
    conn.close()


def test_fork_while_a_python_lock_is_held():
    """Another thread inside pa.register / pa.threads / the kernel cache when the fork
    happens: its lock would stay held forever in the child without the at-fork reset."""
    locks = [registry._LOCK, threads_module._lock, functional._cache_lock]
    for lock in locks:
        lock.acquire()
    try:
        neg, y = _run_child(_child_uses_locks)
    finally:
        for lock in locks:
            lock.release()
    x = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(neg, -x)
    np.testing.assert_array_equal(y, np.where(x > 0, x, 0.123456 * x))


def test_forked_child_of_forked_child(parent_results):
    """A grandchild (fork inside a forked child) still computes correctly."""
    name = next(iter(parent_results))

    def child(conn):
        try:
            conn.send(("ok", _run_child(_child_main, name)))
        except BaseException as e:  # noqa: BLE001
            conn.send(("error", repr(e)))
        conn.close()

    _check(parent_results, [(name, _run_child(child))])


def test_parent_keeps_its_threads_after_fork(parent_results):
    """The at-fork handler only affects the child: the parent's setting still holds."""
    requested = _core.requested_num_threads()
    try:
        pa.set_num_threads(3)
        _run_child(_child_main, next(iter(parent_results)))
        assert pa.get_num_threads() == 3
    finally:
        pa.set_num_threads(requested)
