"""Expected results from the float64 references of tests/reference.py with the IEEE
rules of SPEC §2 on top (NaN in => NaN out, forward and backward), for the reliability
tests that compare any catalog activation with its reference."""
from __future__ import annotations

import numpy as np

from reference import REF


def compute_params(params: dict, dtype) -> dict:
    """The parameters as the kernel of an array of ``dtype`` holds them: rounded to its
    compute type (float32 for float16 and float32; float64 unchanged). A slope of 1e-300
    is 0 in float32, and the reference must say what that slope gives."""
    ct = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    out = {}
    for k, v in params.items():
        if isinstance(v, float) and not isinstance(v, bool):
            with np.errstate(over="ignore"):
                v = float(ct(v))
        out[k] = v
    return out


def _at_infinity(fn, x64: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Where x = ±inf made the formula NaN (0 * inf: leaky_relu with slope 0), the limit:
    the value at ±the largest float64."""
    bad = np.isinf(x64) & np.isnan(r)
    if not bad.any():
        return r
    with np.errstate(all="ignore"):
        at_max = np.asarray(fn(np.where(bad, np.copysign(np.finfo(np.float64).max, x64), x64)), np.float64)
    return np.where(bad, at_max, r)


def expected_forward(name: str, x, params: dict) -> np.ndarray:
    """f(x) in float64; NaN where x is NaN; the limit at ±inf."""
    x64 = np.asarray(x, np.float64)
    f = lambda v: REF[name][0](v, **params)  # noqa: E731
    with np.errstate(all="ignore"):
        y = _at_infinity(f, x64, np.asarray(f(x64), np.float64))
    return np.where(np.isnan(x64), np.nan, y)


def expected_backward(name: str, g, x, params: dict) -> np.ndarray:
    """g * f'(x) in float64; NaN where x is NaN (and where g * f'(x) is)."""
    x64, g64 = np.asarray(x, np.float64), np.asarray(g, np.float64)
    df = lambda v: REF[name][1](v, **params)  # noqa: E731
    with np.errstate(all="ignore"):
        d = g64 * _at_infinity(df, x64, np.asarray(df(x64), np.float64))
    return np.where(np.isnan(x64), np.nan, d)


def _shifted(x: np.ndarray, k: int) -> np.ndarray:
    """x moved k ULPs (of its dtype) towards +inf (k > 0) or -inf; infinities and NaN stay."""
    target = np.array(np.inf if k > 0 else -np.inf, x.dtype)
    out = x.copy()
    with np.errstate(over="ignore"):  # max -> inf is a fine neighbour
        for _ in range(abs(k)):
            out = np.where(np.isfinite(out), np.nextafter(out, target), out)
    return out


def assert_matches(got, name: str, x, params: dict, g=None, *, max_ulp: float | None = None,
                   shift: int = 2, what: str = "") -> None:
    """``got`` is the forward (g None) or backward of ``name`` at ``x`` within the SPEC §5
    tolerance (4 ULP forward; 8 ULP or 1e-6*max(1, |ref|) backward) of the reference at x
    or at an input at most ``shift`` ULPs (of x's dtype) from x, with the parameters
    rounded as the kernel holds them (:func:`compute_params`).

    The shift makes the check one of mixed forward/backward error: a kernel that rounds
    x*slope + offset (or compares x with a parameter rounded to float32) is right for an
    input next to x, which no pure ULP bound can tell from a bug where the function is
    ill-conditioned (hard_sigmoid near its kink). NaN-ness must match exactly."""
    from ulp import ulp_error

    got = np.asarray(got)
    x = np.asarray(x, got.dtype)
    backward = g is not None
    tol = max_ulp if max_ulp is not None else (8 if backward else 4)
    params = compute_params(params, got.dtype)
    refs = []
    for k in range(-shift, shift + 1):
        xs = _shifted(x, k)
        refs.append(expected_backward(name, g, xs, params) if backward else expected_forward(name, xs, params))
    exact = refs[shift]
    with np.errstate(invalid="ignore"):
        lo, hi = np.min(refs, axis=0), np.max(refs, axis=0)
        got64 = got.astype(np.float64)
        ok = (got64 >= lo) & (got64 <= hi)
        for r in refs:
            ok |= ulp_error(got, r) <= tol
            if backward:
                ok |= np.abs(got64 - r) <= 1e-6 * np.maximum(1.0, np.abs(r))
    ok &= np.isnan(got64) == np.isnan(exact)
    ok |= np.isnan(got64) & np.isnan(exact)
    if not ok.all():
        bad = np.flatnonzero(~ok.ravel())
        i = bad[0]
        raise AssertionError(
            f"{what or name}: {bad.size} of {ok.size} elements off; first at flat index {i}: "
            f"x={x.ravel()[i]!r}" + (f", g={np.asarray(g).ravel()[i]!r}" if backward else "")
            + f": got {got.ravel()[i]!r}, want {exact.ravel()[i]!r} "
            f"(within {tol} ULP of the reference within {shift} ULP of x)")
