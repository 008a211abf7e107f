"""Inputs, parameters and SPEC §5 tolerances shared by the catalog-driven tests.

Everything here is independent of pyact's kernels: inputs come from a seeded NumPy
generator, expected values from tests/reference.py in float64.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from reference import REF
from ulp import assert_close_ulp

# SPEC §5: forward <= 4 ULP; backward <= 8 ULP or 1e-6 * max(1, |ref|) absolute.
FWD_ULP, BWD_ULP, BWD_ABS = 4, 8, 1e-6
# Non-default parameters are outside SPEC §5's promise: a looser, still tight, bound.
FWD_ULP_P, BWD_ULP_P, BWD_ABS_P = 16, 32, 1e-5


# What a parameter accepts, written here from SPEC §3 and the validators' names (not by
# calling pyact): valid edge values and invalid ones per kind of check (tests/test_fuzz.py,
# tests/test_special_values.py).
_TINY = 5e-324
PARAM_EDGES = {
    "finite": ([0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 1e-30, -1e-30, _TINY, 3.0e38, -3.0e38, 1e30],
               [math.nan, math.inf, -math.inf, "1.0", None, True]),
    "positive": ([_TINY, 1e-30, 0.25, 1.0, 4.0, 1e30],
                 [0.0, -0.0, -1.0, -_TINY, math.nan, math.inf, "2"]),
    "nonnegative": ([0.0, -0.0, _TINY, 0.5, 2.0, 1e30],
                    [-1.0, -_TINY, math.nan, math.inf, None]),
    "nonzero": ([_TINY, -_TINY, 1.0 / 6, 0.2, -0.5, 3.0, 1e-30, 1e30],
                [0.0, -0.0, math.nan, math.inf, "x"]),
    # float32 kernels must not lose the parameter: the smallest normal float32 and up
    "invertible": ([2.0 ** -126, -2.0 ** -126, 1.0 / 6, 0.2, -0.5, 3.0, 1e-30, 1e30],
                   [0.0, -0.0, _TINY, -_TINY, 1e-40, math.nan, math.inf, "x"]),
    "positive_f32": ([2.0 ** -126, 1e-30, 0.25, 1.0, 4.0, 1e30],
                     [0.0, -0.0, -1.0, _TINY, 1e-40, math.nan, math.inf, "2"]),
    "number_or_none": ([None, 0.0, 1.0, 6.0, -1.0, math.inf, 1e30],
                       [math.nan, "6", [1.0]]),
}


def param_kind(q) -> str | None:
    return getattr(q.check, "__name__", None) if q.check is not None else None


def param_choices(q) -> tuple | None:
    """The allowed values of a one_of(...) parameter (gelu's approximate=...)."""
    if q.check is None or param_kind(q) in PARAM_EDGES:
        return None
    cv = inspect.getclosurevars(q.check).nonlocals
    return tuple(cv["choices"]) if "choices" in cv else None


def example_params(act) -> dict:
    """Parameters to call an activation with: the defaults, plus values for required ones."""
    return {"threshold": {"threshold": 0.5, "value": -2.0}}.get(act.name, {})


def varied_params(act) -> dict | None:
    """Non-default values for every numeric parameter (None if it has none, or if
    the shifted values are invalid for this activation)."""
    from pyact import activations

    p = dict(example_params(act))
    for q in act.params:
        d = p.get(q.name, q.default)
        if d is None:
            p[q.name] = 5.0
        elif isinstance(d, (int, float)) and not isinstance(d, bool):
            p[q.name] = float(d) * 0.75 + 0.25 if d != 0 else 0.125
    if not act.params or p == example_params(act):
        return None
    try:
        activations.resolve_params(act, p)
    except (TypeError, ValueError):
        return None
    return p


def parameter_forms(act) -> list[dict]:
    """The example parameters, the varied ones, and each parameter at each of its valid
    edges (the others at their example values): every form a kernel picks from them."""
    from pyact import activations

    base, varied = example_params(act), varied_params(act)
    forms = [base] + ([varied] if varied else [])
    for q in act.params:
        for v in param_choices(q) or PARAM_EDGES.get(param_kind(q), ([], []))[0]:
            p = {**base, q.name: v}
            try:
                activations.resolve_params(act, p)
            except (TypeError, ValueError):  # an edge that is valid only with other values
                continue
            forms.append(p)
    return forms


def kinks(act, params: dict) -> list[float]:
    """Points where the piecewise activations change formula (and their neighbours)."""
    pts = [0.0, -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, -0.5]
    pts += [float(v) for v in params.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    pts += [-float(v) for v in params.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return [p for p in pts if math.isfinite(p)]


def inputs(dtype, n: int, act=None, params: dict | None = None, seed: int = 0) -> np.ndarray:
    """n finite inputs of ``dtype``: kink points, N(0, 3) values and magnitudes spread
    over many decades (both signs), shuffled with a fixed seed."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed + n)
    top = 4.0 if dtype == np.float16 else 30.0
    parts = [np.array(kinks(act, params or {}) if act is not None else [0.0]),
             rng.normal(0, 3, n),
             rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-6, top, n)]
    x = np.concatenate(parts)
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    x = x[np.isfinite(x)]
    return rng.permutation(x)[:n].copy()


def ref_forward(act, x: np.ndarray, params: dict) -> np.ndarray:
    """The float64 reference, with SPEC §2's rule on top: NaN in gives NaN out."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        r = np.asarray(REF[act.name][0](x, **params), np.float64)
    return np.where(np.isnan(x), np.nan, r)


def ref_derivative(act, x: np.ndarray, params: dict) -> np.ndarray:
    """f'(x) in float64; NaN at NaN (SPEC §2)."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        r = np.asarray(REF[act.name][1](x, **params), np.float64)
    return np.where(np.isnan(x), np.nan, r)


def _param_abs(got) -> float:
    """Parameters are rounded to the compute dtype (float32 for float16), so at
    non-default values an absolute error of a few eps of that dtype is inherent."""
    dt = np.dtype(got.dtype)
    return 8 * float(np.finfo(np.float32 if dt == np.float16 else dt).eps)


def check_forward(act, got, x, params, default: bool = True, what: str = "") -> None:
    got = np.asarray(got)
    if default:
        assert_close_ulp(got, ref_forward(act, x, params), FWD_ULP, what=what)
    else:
        assert_close_ulp(got, ref_forward(act, x, params), FWD_ULP_P, _param_abs(got), what=what)


def assert_same_bits(got, want, what: str = "") -> None:
    """Identical shape, dtype and bits (NaN payloads and signed zeros included)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, what
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.dtype.itemsize]
    a, b = np.ascontiguousarray(got).view(u), np.ascontiguousarray(want).view(u)
    if not np.array_equal(a, b):
        i = np.flatnonzero(a.ravel() != b.ravel())
        raise AssertionError(f"{what}: {i.size} elements differ in bits; first at {i[0]}: "
                             f"{got.ravel()[i[0]]!r} vs {want.ravel()[i[0]]!r}")


def check_backward(act, got, g, x, params, default: bool = True, what: str = "") -> None:
    with np.errstate(all="ignore"):
        want = np.asarray(g, np.float64) * ref_derivative(act, x, params)
    if default:
        assert_close_ulp(got, want, BWD_ULP, BWD_ABS, what=what)
    else:
        assert_close_ulp(got, want, BWD_ULP_P, max(BWD_ABS_P, _param_abs(np.asarray(got))), what=what)
