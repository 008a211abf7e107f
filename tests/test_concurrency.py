"""Many Python threads at once (SPEC §2 "calls from many Python threads at once are
correct", §6 determinism): 16 threads mixing every catalog activation, sizes on both sides
of the GIL-release and thread-grain limits, all dtypes, forward/backward, ``out=`` and
thread settings changed under their feet give exactly the bits of a single-threaded run;
the registry and the thread setting are safe to use concurrently; nothing deadlocks.

``PYACT_CONCURRENCY_SECONDS`` (default 3) sets how long the mixed run lasts.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog, _core, registry

from conftest import example_params

N_THREADS = 16
SECONDS = float(os.environ.get("PYACT_CONCURRENCY_SECONDS", "3"))
JOIN_TIMEOUT = SECONDS + 120.0  # a thread still alive after this is a deadlock
# 37: GIL held, one thread; 5000: below the kernel's GIL-release size; 70001: GIL released
# and split across OpenMP threads.
SIZES = (37, 5000, 70001)
DTYPES = (np.float16, np.float32, np.float64)


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _inputs(size: int, dtype, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 4, size)
    x[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -3.0, 6.0]
    g = rng.normal(0, 1, size)
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(dtype), g.astype(dtype)


def _tasks() -> tuple[list[tuple[str, object, bytes]], list[str]]:
    """(label, call, expected bits of a single-threaded run) for every task.

    Every catalog entry whose object runs on a 1-d vector with its example parameters is
    included, so each family is covered as it lands; backward from x (and from y where
    y-ok). Entries needing other shapes (glu: even length, ...) are left to their family's
    tests and listed in the returned skip list."""
    tasks, skipped = [], []
    with pa.threads(1):
        for k, name in enumerate(_builtins()):
            params = example_params(registry.spec_of(name))
            act = pa.get(name, **params)
            if hasattr(act, "eval"):  # rrelu: training draws new slopes per call; eval is deterministic
                act.eval()
            try:
                act.backward(np.ones(SIZES[0]), x=np.ones(SIZES[0]))
            except (TypeError, ValueError) as e:
                skipped.append(f"{name}: {e}")
                continue
            for d, dtype in enumerate(DTYPES):
                for s, size in enumerate(SIZES):
                    x, g = _inputs(size, dtype, seed=1000 * k + 10 * d + s)
                    calls = {"fwd": lambda a=act, x=x: a(x),
                             "bwd_x": lambda a=act, x=x, g=g: a.backward(g, x=x),
                             "pa.fn": lambda n=name, p=params, x=x: getattr(pa, n)(x, **p),
                             "pa.grad": lambda n=name, p=params, x=x, g=g: pa.grad(n, g, x=x, **p)}
                    if act.y_ok:
                        y = act(x)
                        calls["bwd_y"] = lambda a=act, y=y, g=g: a.backward(g, y=y)
                    for kind, call in calls.items():
                        tasks.append((f"{name}-{np.dtype(dtype).name}-{size}-{kind}", call, _bits(call())))
    return tasks, skipped


def _builtins() -> list[str]:
    """Catalog names (of every family that has landed); not names other tests registered."""
    return sorted({a.name for a in _catalog.CATALOG} & set(pa.available()))


@pytest.fixture
def restore_threads():
    requested = _core.requested_num_threads()
    yield
    pa.set_num_threads(requested)


def _run_threads(target, n: int = N_THREADS) -> list[str]:
    """Run target(i) in n daemon threads; return the errors; fail on a deadlock."""
    errors: list[str] = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - every failure is reported
            errors.append(f"thread {i}: {e!r}")

    ts = [threading.Thread(target=wrapped, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in ts:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in ts if t.is_alive()]
    assert not alive, f"deadlock: threads {alive} still running after {JOIN_TIMEOUT:.0f} s"
    return errors


def test_mixed_calls_match_single_threaded(restore_threads):
    tasks, skipped = _tasks()
    stop = time.monotonic() + SECONDS
    counts = [0] * N_THREADS
    start = threading.Barrier(N_THREADS)

    def worker(i):
        rng = np.random.default_rng(i)
        start.wait()
        while time.monotonic() < stop:
            if i < 4:  # a quarter of the threads also change the thread setting
                n = int(rng.integers(1, 5))
                if rng.random() < 0.5:
                    pa.set_num_threads(n)
                else:
                    with pa.threads(n):
                        pass
            label, call, want = tasks[rng.integers(len(tasks))]
            got = call()
            if _bits(got) != want:
                raise AssertionError(f"{label}: result differs from the single-threaded run")
            counts[i] += 1

    errors = _run_threads(worker)
    assert not errors, "\n".join(errors[:5])
    assert min(counts) > 0, counts
    print(f"\n{sum(counts)} calls in {SECONDS} s by {N_THREADS} threads over {len(tasks)} tasks; "
          f"not on 1-d vectors: {skipped}")


def test_functional_many_parameter_sets(restore_threads):
    """pa.<name>(x, **params) keeps a bounded cache of bound kernels; many threads
    inserting and evicting at once once raised KeyError (fixed in functional.py)."""
    x = np.linspace(-3, 3, 101)
    start = threading.Barrier(N_THREADS)

    def worker(i):
        start.wait()
        for j in range(1000):
            slope = ((j * N_THREADS + i) % 500) / 1000
            got = pa.leaky_relu(x, negative_slope=slope)
            np.testing.assert_array_equal(got, np.where(x > 0, x, slope * x))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a race shows up within the test
    try:
        errors = _run_threads(worker)
    finally:
        sys.setswitchinterval(interval)
    assert not errors, "\n".join(errors[:5])


def test_thread_setting_concurrent(restore_threads):
    """set_num_threads / get_num_threads / pa.threads from 16 threads: never an error,
    every value read is one that some thread set, and `with pa.threads(n)` nests."""
    start = threading.Barrier(N_THREADS)
    seen: set[int] = set()

    def worker(i):
        start.wait()
        for j in range(300):
            n = 1 + (i + j) % 8
            if j % 3 == 0:
                pa.set_num_threads(n)
            else:
                with pa.threads(n):
                    with pa.threads(1 + n % 3):
                        seen.add(pa.get_num_threads())
            seen.add(pa.get_num_threads())

    errors = _run_threads(worker)
    assert not errors, "\n".join(errors[:5])
    assert seen <= set(range(1, 9)), seen


@pytest.fixture
def user_names():
    names: list[str] = []
    yield names
    for n in names:  # leave the registry as other tests expect it
        registry._USER.pop(n, None)


def test_register_same_name_exactly_once(user_names):
    name = f"conc_once_{uuid.uuid4().hex[:8]}"
    user_names.append(name)
    start = threading.Barrier(N_THREADS)
    won: list[int] = []
    lost: list[int] = []

    def worker(i):
        start.wait()
        try:
            pa.register(name, lambda x, i=i: x * i)
            won.append(i)
        except ValueError:
            lost.append(i)

    errors = _run_threads(worker)
    assert not errors, "\n".join(errors[:5])
    assert len(won) == 1 and len(lost) == N_THREADS - 1, (won, lost)
    x = np.arange(5.0)
    np.testing.assert_array_equal(pa.get(name)(x), x * won[0])


def test_register_get_available_concurrent(user_names):
    """Threads register their own names (and overwrite a shared one) while others look
    names up, list them and compute with built-ins: every call answers correctly."""
    tag = uuid.uuid4().hex[:8]
    shared = f"conc_shared_{tag}"
    user_names.append(shared)
    user_names.extend(f"conc_{tag}_{i}_{j}" for i in range(N_THREADS) for j in range(10))
    pa.register(shared, np.negative)
    builtins = _builtins()
    x = np.linspace(-2, 2, 9)
    start = threading.Barrier(N_THREADS)

    def worker(i):
        start.wait()
        for j in range(10):
            own = f"conc_{tag}_{i}_{j}"
            pa.register(own, lambda v, c=i + j: v + c, backward=lambda g, v, y: 2 * g)
            act = pa.get(own)
            np.testing.assert_array_equal(act(x), x + i + j)
            np.testing.assert_array_equal(act.backward(np.ones_like(x), x=x), 2 * np.ones_like(x))
            pa.register(shared, np.negative, overwrite=True)
            np.testing.assert_array_equal(pa.get(shared)(x), -x)
            assert own in pa.available()
            b = builtins[(i + j) % len(builtins)]
            assert pa.get(b, **example_params(registry.spec_of(b))).name == b
            with pytest.raises(KeyError):
                pa.get(f"no_such_{own}")

    errors = _run_threads(worker)
    assert not errors, "\n".join(errors[:5])
    assert set(user_names) <= set(pa.available())
