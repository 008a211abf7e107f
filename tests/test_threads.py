"""SPEC §6 threads: set/get, the threads() context, OMP_NUM_THREADS, bit-identical
results for 1 and 2 threads, and the GIL released (many Python threads at once)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from cases import assert_same_bits, example_params, inputs
from conftest import catalog

ACTS = catalog()


@pytest.fixture(autouse=True)
def restore_threads():
    before = _core.requested_num_threads()
    yield
    pa.set_num_threads(before)


def test_set_get_and_default():
    pa.set_num_threads(3)
    assert pa.get_num_threads() == 3 and pa.info()["num_threads"] == 3
    pa.set_num_threads(1)
    assert pa.get_num_threads() == 1
    pa.set_num_threads(None)
    assert pa.get_num_threads() >= 1
    pa.set_num_threads(0)
    with pytest.raises(ValueError):
        pa.set_num_threads(-1)
    with pytest.raises(TypeError):
        pa.set_num_threads(1.5)


def test_threads_context_restores_exactly():
    pa.set_num_threads(None)
    default = pa.get_num_threads()
    with pa.threads(1):
        assert pa.get_num_threads() == 1
        with pa.threads(2):
            assert pa.get_num_threads() == 2
        assert pa.get_num_threads() == 1
    assert pa.get_num_threads() == default and _core.requested_num_threads() == 0
    pa.set_num_threads(3)
    with pytest.raises(RuntimeError):
        with pa.threads(1):
            raise RuntimeError("inside")
    assert pa.get_num_threads() == 3
    with pytest.raises(ValueError):
        with pa.threads(0):
            pass


def test_threads_blocks_of_several_threads_end_in_any_order():
    """A opens threads(1), B opens threads(2), A ends, B ends: the setting is B's while B
    is open and the one from before both afterwards (it was left at 1)."""
    pa.set_num_threads(None)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with pa.threads(1):
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with pa.threads(2):
            b_in.set()
            a_out.wait(10)
            seen["b after a"] = _core.requested_num_threads()

    ts = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    assert seen["b after a"] == 2
    assert _core.requested_num_threads() == 0


def _run(code: str, **env) -> str:
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def test_omp_num_threads_respected():
    if not _core.openmp():
        pytest.skip("built without OpenMP")
    assert _run("import pyact as pa; print(pa.get_num_threads())", OMP_NUM_THREADS="3") == "3"
    assert _run("import pyact as pa; print(pa.get_num_threads())", OMP_NUM_THREADS="1") == "1"


@pytest.mark.parametrize("act", ACTS, ids=[a.name for a in ACTS])
def test_one_and_two_threads_bit_identical(dtype, act):
    p = example_params(act)
    obj = pa.get(act.name, **p)
    sizes = (1 << 14) - 5, (1 << 16) + 7, 3 * (1 << 16) + 1, 1 << 18
    for n in sizes:
        x = inputs(dtype, n, act, p)
        g = np.random.default_rng(n).normal(size=n).astype(dtype)
        results = []
        for t in (1, 2, 3):
            with pa.threads(t):
                r = [obj(x), obj.backward(g, x=x)]
                if obj.y_ok:
                    r.append(obj.backward(g, y=r[0]))
            results.append(r)
        for other in results[1:]:
            for a, b in zip(results[0], other):
                assert_same_bits(a, b, f"{act.name} n={n}")


def test_gil_released_concurrent_calls():
    """Python threads calling big kernels at once all get the right answer."""
    n = 1 << 20
    xs = [np.random.default_rng(i).normal(size=n).astype(np.float32) for i in range(6)]
    want = [np.maximum(x, 0) for x in xs]
    got = [None] * len(xs)
    errors = []
    start = threading.Barrier(len(xs))

    def work(i):
        try:
            start.wait()
            for _ in range(5):
                y = pa.relu(xs[i])
                gi = pa.grad("relu", np.ones(n, np.float32), y=y)
            got[i] = (y, gi)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for (y, gi), w, x in zip(got, want, xs):
        np.testing.assert_array_equal(y, w)
        np.testing.assert_array_equal(gi, (x > 0).astype(np.float32))


def test_gil_is_released_while_a_kernel_runs():
    """Another Python thread runs *during* one long kernel call (timestamps strictly
    inside the call), which it cannot while the call holds the GIL."""
    import time

    x = np.ones(1 << 24, np.float32)
    stamps = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            stamps.append(time.perf_counter())

    t = threading.Thread(target=ticker)
    inside = 0
    with pa.threads(1):
        t.start()
        while not stamps:
            time.sleep(0)
        for _ in range(5):
            t0 = time.perf_counter()
            pa.relu(x, out=x)
            t1 = time.perf_counter()
            inside += sum(t0 < s < t1 for s in stamps[-100000:])
            if inside:
                break
    done.set()
    t.join()
    assert inside > 0


def test_forked_child_runs_single_threaded():
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    code = ("import os, numpy as np, pyact as pa\n"
            "pa.relu(np.ones(1 << 20, np.float32))\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    y = pa.relu(np.full(1 << 20, -1.0, np.float32)); os._exit(0 if (y == 0).all() and pa.get_num_threads() == 1 else 3)\n"
            "_, st = os.waitpid(pid, 0); print(os.waitstatus_to_exitcode(st))\n")
    assert _run(code, OMP_NUM_THREADS="2") == "0"
