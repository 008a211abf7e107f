"""threadpoolctl sees and limits pyact's OpenMP threads; pa.info() names the runtime."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import pyact as pa

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def default_threads():
    pa.set_num_threads(None)
    yield
    pa.set_num_threads(None)


def test_info_names_the_openmp_runtime_threadpoolctl_finds():
    rt = pa.info()["openmp_runtime"]
    if not pa.info()["openmp"]:
        assert rt is None
        pytest.skip("built without OpenMP")
    assert os.path.exists(rt)
    found = [lib["filepath"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "openmp"]
    assert rt in found, (rt, found)  # the same string: links resolved, as threadpoolctl lists it


@pytest.mark.parametrize("user_api", [None, "openmp"])
def test_threadpool_limits_one_limits_pyact(user_api):
    if not pa.info()["openmp"]:
        pytest.skip("built without OpenMP")
    before = pa.get_num_threads()
    x = np.linspace(-5, 5, 1 << 20, dtype=np.float32)
    want = pa.squareplus(x)
    with threadpoolctl.threadpool_limits(limits=1, user_api=user_api):
        assert pa.get_num_threads() == 1
        np.testing.assert_array_equal(pa.squareplus(x), want)  # same bits on one thread
    assert pa.get_num_threads() == before


def test_explicit_pyact_setting_wins_and_is_documented():
    # pa.set_num_threads / pa.threads is pyact's own, process-wide override: OpenMP's
    # per-thread setting (what threadpoolctl changes) applies only while none is set.
    if not pa.info()["openmp"]:
        pytest.skip("built without OpenMP")
    with pa.threads(2), threadpoolctl.threadpool_limits(limits=1):
        assert pa.get_num_threads() == 2
    assert "threadpoolctl" in pa.set_num_threads.__doc__


def test_limit_is_per_calling_thread_like_openmp():
    # OpenMP's nthreads setting belongs to the thread that set it; threadpoolctl's limit
    # therefore applies to pyact calls made from the thread that entered it.
    if not pa.info()["openmp"] or pa.get_num_threads() < 2:
        pytest.skip("needs OpenMP and >= 2 default threads")
    seen: list[int] = []
    with threadpoolctl.threadpool_limits(limits=1):
        t = threading.Thread(target=lambda: seen.append(pa.get_num_threads()))
        t.start()
        t.join()
        assert pa.get_num_threads() == 1
    assert seen == [pa.get_num_threads()]
