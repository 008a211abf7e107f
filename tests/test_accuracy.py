"""SPEC §5 accuracy bounds, measured by the C++ sweep (src/cpp/accuracy.cpp) on every
ISA this machine runs: float32 over >= 1e7 bit patterns per function forward (every
429th pattern: every sign, binade and NaN/inf class), the backward and float64 over
1e5 points; `slow`: the exhaustive float32 forward of a few functions. The references
are double / long double <cmath>, never pyact."""
from __future__ import annotations

import pytest

from pyact import _core, accuracy

CASES = list(accuracy._cases(None))
IDS = [c[0] for c in CASES]
TRANSCENDENTAL = {"elu", "selu", "celu", "sigmoid", "log_sigmoid", "tanh", "softplus", "swish", "mish", "gelu",
                  "gelu_tanh", "exponential", "tanhshrink"}


def _check(r, direction, what):
    assert r["nan_mismatch"] == 0, f"{what}: {r['nan_mismatch']} NaN mismatches"
    assert r["inf_mismatch"] == 0, f"{what}: {r['inf_mismatch']} inf mismatches"
    if direction == "fwd":
        assert r["max_ulp"] <= accuracy.FWD_MAX_ULP, f"{what}: {r['max_ulp']} ULP at x={r['worst_x']!r}"
    else:
        assert r["max_ulp_beyond_abs"] <= accuracy.BWD_MAX_ULP, (
            f"{what}: {r['max_ulp_beyond_abs']} ULP (and > 1e-6 abs) at x={r['worst_x_beyond_abs']!r}")


def test_every_transcendental_kernel_has_a_sweep_reference():
    assert TRANSCENDENTAL <= set(_core.sweep_kernels())


@pytest.mark.parametrize("label,kernel,params", CASES, ids=IDS)
def test_forward_float32_1e7(isa, label, kernel, params):
    dense = kernel in TRANSCENDENTAL  # the piecewise kernels are exact; their own tests cover them
    r = accuracy.sweep(kernel, "fwd", "float32", step=429 if dense else 42949, isa=isa, params=params)
    assert r["count"] >= (10**7 if dense else 10**5)
    _check(r, "fwd", f"{isa} {label} float32 fwd")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("direction", ["fwd", "bwd"])
@pytest.mark.parametrize("label,kernel,params", CASES, ids=IDS)
def test_sampled(isa, label, kernel, params, direction, dtype):
    if direction == "fwd" and dtype == "float32":
        pytest.skip("covered by test_forward_float32_1e7")
    r = accuracy.sweep(kernel, direction, dtype, step=42967, isa=isa, params=params)
    _check(r, direction, f"{isa} {label} {dtype} {direction}")


def test_sweep_single_point_and_bad_arguments():
    r = _core.ulp_sweep("softsign", "fwd", "float32", 0x3F800000, 0x3F800001, 1, None, [], 0.0)
    assert r["count"] == 1 and r["max_ulp"] == 0 and r["worst_x"] == 0.0
    with pytest.raises(ValueError, match="unknown kernel"):
        _core.ulp_sweep("no_such", "fwd", "float32", 0, 10, 1, None, [], 0.0)
    with pytest.raises(ValueError, match="direction"):
        _core.ulp_sweep("sigmoid", "sideways", "float32", 0, 10, 1, None, [], 0.0)


def test_sweep_is_deterministic_across_thread_counts():
    import pyact as pa
    with pa.threads(1):
        a = accuracy.sweep("gelu", "fwd", "float32", step=40961)
    with pa.threads(2):
        b = accuracy.sweep("gelu", "fwd", "float32", step=40961)
    assert a == b


def test_table_rows():
    rows = accuracy.accuracy_table(["sigmoid", "logistic"], step=400009)
    assert {(r["function"], r["dtype"], r["direction"]) for r in rows} == {
        ("sigmoid", d, k) for d in ("float32", "float64") for k in ("fwd", "bwd")}
    assert all(r["ok"] and r["points"] > 10000 for r in rows)
    with pytest.raises(KeyError):
        accuracy.accuracy_table(["nope"])


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["sigmoid"])  # ~4 min on 2 cores; `python -m pyact.accuracy --exhaustive` for all
def test_exhaustive_float32_forward(kernel):
    r = accuracy.sweep(kernel, "fwd", "float32", exhaustive=True)
    assert r["count"] == 2**32
    _check(r, "fwd", f"{kernel} exhaustive")
