"""ULP distances between a result and a float64 reference rounded to its dtype."""
from __future__ import annotations

import numpy as np

_INT = {np.dtype(np.float16): np.int16, np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _ordered(a: np.ndarray) -> np.ndarray:
    """Float bits mapped to integers that count ULPs monotonically (±0 both 0)."""
    it = _INT[a.dtype]
    i = a.view(it).astype(np.int64)
    return np.where(i < 0, np.iinfo(it).min - i, i)


def ulp_error(got: np.ndarray, ref64: np.ndarray) -> np.ndarray:
    """|got - round(ref64)| in ULPs of got's dtype; 0 where both are NaN or the same
    infinity; a huge number where only one is NaN."""
    got = np.asarray(got)
    with np.errstate(over="ignore", invalid="ignore"):
        want = np.asarray(ref64, np.float64).astype(got.dtype)
    d = np.abs(_ordered(got) - _ordered(want)).astype(np.float64)
    both_nan = np.isnan(got) & np.isnan(want)
    one_nan = np.isnan(got) ^ np.isnan(want)
    d = np.where(both_nan, 0.0, d)
    return np.where(one_nan, np.inf, d)


def assert_close_ulp(got, ref64, max_ulp: float, abs_tol: float = 0.0, what: str = "") -> None:
    """Every element within max_ulp ULPs of the rounded reference, or (where abs_tol is
    given) within abs_tol * max(1, |ref|) absolutely — SPEC §5's backward rule."""
    got = np.asarray(got)
    ref64 = np.asarray(ref64, np.float64)
    err = ulp_error(got, ref64)
    ok = err <= max_ulp
    if abs_tol:
        with np.errstate(invalid="ignore"):
            ok |= np.abs(got.astype(np.float64) - ref64) <= abs_tol * np.maximum(1.0, np.abs(ref64))
    if not ok.all():
        bad = np.flatnonzero(~ok.ravel())
        i = bad[np.argmax(err.ravel()[bad])]
        raise AssertionError(f"{what}: {bad.size} of {err.size} elements off; worst at flat index {i}: "
                             f"got {got.ravel()[i]!r}, want {ref64.ravel()[i]!r} ({err.ravel()[i]} ULP)")
