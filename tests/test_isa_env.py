"""PYACT_ISA at import (SPEC §6): one subprocess per value; an unknown or unsupported
value is an ImportError naming the valid ones."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pyact import _core

ALL = ("scalar", "sse4", "avx2", "avx512", "neon")


def _import(isa: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYACT_ISA=isa)
    code = "import pyact as pa, numpy as np; print(pa.info()['isa']); print(pa.relu(np.array([-1.0, 2.0])).tolist())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("isa", ALL)
def test_forced_isa(isa):
    r = _import(isa)
    if isa in _core.isas_available():
        assert r.returncode == 0, r.stderr
        assert r.stdout.split("\n")[:2] == [isa, "[0.0, 2.0]"]
    else:
        assert r.returncode != 0
        assert "ImportError" in r.stderr and isa in r.stderr
        for valid in _core.isas_available():
            assert valid in r.stderr.splitlines()[-1]


def test_unknown_isa_names_valid_ones():
    r = _import("avx9000")
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and "avx9000" in last
    assert all(v in last for v in _core.isas_available())


def test_default_is_best_available():
    env = {k: v for k, v in os.environ.items() if k != "PYACT_ISA"}
    out = subprocess.run([sys.executable, "-c", "import pyact as pa; i = pa.info(); print(i['isa'])"],
                         env=env, capture_output=True, text=True, check=True, timeout=120).stdout.strip()
    assert out == _core.isas_available()[-1]


def test_info_keys():
    import pyact as pa
    info = pa.info()
    for key in ("version", "isa", "isas_compiled", "isas_supported", "openmp", "num_threads"):
        assert key in info
    assert info["isa"] in info["isas_compiled"] and info["isa"] in info["isas_supported"]
    assert isinstance(info["openmp"], bool) and info["num_threads"] >= 1
    assert set(_core.isas_available()) == set(info["isas_compiled"]) & set(info["isas_supported"])


def test_use_isa_rejects_bad_names():
    with pytest.raises(ValueError, match="valid"):
        _core.use_isa("nope")


@pytest.mark.parametrize("isa", ALL)
def test_long_arrays_on_every_isa(isa):
    """10^7 elements through every activation family's out-of-line vmath calls, on the
    threads, in a subprocess (a crash must not take the test run with it). GCC 12 once
    leaked 16 bytes of stack per loop iteration around those calls in the scalar build
    (CMakeLists.txt, -fno-defer-pop): elu on 10^7 float32 segfaulted."""
    if isa not in _core.isas_available():
        pytest.skip(f"{isa} not supported by this CPU")
    code = ("import numpy as np, pyact as pa; pa.set_num_threads(2)\n"
            "x = np.linspace(-20, 20, 10**7, dtype=np.float32)\n"
            "for name in ('elu', 'selu', 'celu', 'tanh', 'mish', 'gelu', 'softplus', 'swish'):\n"
            "    y = getattr(pa, name)(x); gx = pa.grad(name, np.ones_like(x), x=x)\n"
            "    assert np.isfinite(y).all() and np.isfinite(gx).all(), name\n"
            "    getattr(pa, name)(x.astype(np.float64))\n"
            "print('ok')")
    r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYACT_ISA=isa),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])
