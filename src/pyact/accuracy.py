"""Measured accuracy of the compiled kernels (SPEC §5, DESIGN.md §4).

The sweeps run in C++ (``_core.ulp_sweep``, src/cpp/accuracy.cpp) on every core: float32
over bit patterns (all 2**32 with ``exhaustive=True``), float64 over 2**32 log-spaced
indices (every binade, both signs, hashed low bits), against a double (float32) or long
double (float64) reference. This module turns them into the table of docs/ACCURACY.md::

    python -m pyact.accuracy --exhaustive --markdown
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Callable, Iterable

from . import _catalog, _core

__all__ = ["FWD_MAX_ULP", "BWD_MAX_ULP", "BWD_ABS_TOL", "sweep", "accuracy_table", "main"]

FWD_MAX_ULP = 4.0
"""SPEC §5: every forward within 4 ULP of the rounded reference."""
BWD_MAX_ULP = 8.0
BWD_ABS_TOL = 1e-6
"""SPEC §5: every backward within 8 ULP, or within 1e-6 * max(1, |ref|) absolutely."""

_FULL = 1 << 32
# Points: every bit pattern (float32) / every 43rd index, 1e8 points (float64), when
# exhaustive; every 429th (1e7 points) otherwise.
_STEP = {(True, "float32"): 1, (True, "float64"): 43, (False, "float32"): 429, (False, "float64"): 429}
# Parameter variants with a kernel of their own.
_VARIANTS = {"gelu": ({}, {"approximate": "tanh"})}


def _hex(v: float) -> str:
    """Shortest-looking hex float: 0x1.41a532p+0, not 0x1.41a5320000000p+0."""
    if not math.isfinite(v):
        return repr(v)
    h = float(v).hex()
    mant, exp = h.split("p")
    return (mant.rstrip("0").rstrip(".") if "." in mant else mant) + "p" + exp


def _label(name: str, params: dict) -> str:
    return name + "".join(f"({k}={v!r})" for k, v in params.items())


def _cases(names: Iterable[str] | None):
    """(label, kernel, encoded default params) for each activation with a sweep reference."""
    have = set(_core.sweep_kernels())
    wanted = None if names is None else {(_catalog.by_name(n) or _unknown(n)).name for n in names}
    for act in _catalog.CATALOG:
        if act.family != "elementwise" or (wanted is not None and act.name not in wanted):
            continue
        for extra in _VARIANTS.get(act.name, ({},)):
            params = {**act.defaults, **extra}
            kernel = act.kernel_for(params)
            if kernel in have:
                yield _label(act.name, extra), kernel, [float(v) for v in act.encode(act, params)]


def _unknown(name: str):
    raise KeyError(f"unknown activation {name!r}")


def sweep(kernel: str, direction: str = "fwd", dtype: str = "float32", *, exhaustive: bool = False,
          step: int | None = None, isa: str | None = None, params=()) -> dict:
    """One ULP sweep of a kernel.

    Parameters
    ----------
    kernel : str
        C++ kernel name (``_core.sweep_kernels()``).
    direction : {"fwd", "bwd"}
        Forward, or the gradient from x with dL/dy = 1.
    dtype : {"float32", "float64"}
    exhaustive : bool
        Every float32 bit pattern (1e8 points for float64); else 1e7 points.
    step : int, optional
        Sweep every ``step``-th index instead.
    isa : str, optional
        The ISA whose kernels run (default: the active one).
    params : sequence of float
        Encoded parameters, catalog order.

    Returns
    -------
    dict
        ``count, max_ulp, worst_x, worst_got, worst_ref, max_ulp_beyond_abs,
        worst_x_beyond_abs, nan_mismatch, inf_mismatch``.
    """
    step = step or _STEP[(bool(exhaustive), dtype)]
    abs_tol = BWD_ABS_TOL if direction == "bwd" else 0.0
    return _core.ulp_sweep(kernel, direction, dtype, 0, _FULL, step, isa, list(params), abs_tol)


def accuracy_table(names: Iterable[str] | None = None, exhaustive: bool = False,
                   progress: Callable[[str], None] | None = None, *, step: int | None = None,
                   isa: str | None = None, dtypes=("float32", "float64"),
                   directions=("fwd", "bwd")) -> list[dict]:
    """Measure every (function, dtype, direction) at default parameters.

    Parameters
    ----------
    names : iterable of str, optional
        Activations (canonical names or aliases); default all that have a reference.
    exhaustive : bool
        All 2**32 float32 inputs and 1e8 float64 points; else 1e7 points each.
    progress : callable, optional
        Called with a short label before each sweep (for a progress bar).
    step, isa, dtypes, directions
        Narrow the sweep (see :func:`sweep`).

    Returns
    -------
    list of dict
        One row each: ``function, dtype, direction, max_ulp, worst_x`` (a float),
        ``worst_x_hex``, ``points``, ``bound`` and ``ok`` (SPEC §5's bound holds; for
        backward the ULP count is that of the points also off by more than
        1e-6*max(1,|ref|)), ``nan_mismatch``, ``inf_mismatch``, ``seconds``.
    """
    rows = []
    for label, kernel, params in _cases(names):
        for dtype in dtypes:
            for direction in directions:
                if progress is not None:
                    progress(f"{label} {dtype} {direction}")
                t0 = time.perf_counter()
                r = sweep(kernel, direction, dtype, exhaustive=exhaustive, step=step, isa=isa, params=params)
                bwd = direction == "bwd"
                ulp = r["max_ulp_beyond_abs"] if bwd else r["max_ulp"]
                worst = r["worst_x_beyond_abs"] if bwd and r["max_ulp_beyond_abs"] else r["worst_x"]
                bound = BWD_MAX_ULP if bwd else FWD_MAX_ULP
                rows.append({
                    "function": label, "dtype": dtype, "direction": direction,
                    "max_ulp": ulp, "max_ulp_raw": r["max_ulp"], "worst_x": worst,
                    "worst_x_hex": _hex(worst),
                    "points": r["count"], "bound": bound,
                    "ok": ulp <= bound and r["nan_mismatch"] == 0 and r["inf_mismatch"] == 0,
                    "nan_mismatch": r["nan_mismatch"], "inf_mismatch": r["inf_mismatch"],
                    "seconds": time.perf_counter() - t0,
                })
    return rows


def _markdown(rows: list[dict]) -> str:
    out = ["| function | dtype | dir | max ULP | worst x | raw max ULP | points | NaN/inf mismatches |",
           "|---|---|---|---:|---|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['function']} | {r['dtype']} | {r['direction']} | {r['max_ulp']:g} | "
                   f"`{r['worst_x_hex']}` | {r['max_ulp_raw']:g} | {r['points']:,} | "
                   f"{r['nan_mismatch']}/{r['inf_mismatch']} |")
    return "\n".join(out)


def main(argv=None) -> int:
    """``python -m pyact.accuracy [NAME...] [--exhaustive] [--markdown]``."""
    ap = argparse.ArgumentParser(prog="python -m pyact.accuracy", description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="activations (default: all with a reference)")
    ap.add_argument("--exhaustive", action="store_true", help="all 2**32 float32 inputs, 1e8 float64 points")
    ap.add_argument("--step", type=int, default=None, help="sweep every STEP-th index")
    ap.add_argument("--isa", default=None, help="ISA to measure (default: the active one)")
    ap.add_argument("--dtype", choices=("float32", "float64"), action="append")
    ap.add_argument("--direction", choices=("fwd", "bwd"), action="append")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args(argv)
    rows = accuracy_table(a.names or None, a.exhaustive, lambda s: print(f"... {s}", file=sys.stderr, flush=True),
                          step=a.step, isa=a.isa, dtypes=tuple(a.dtype or ("float32", "float64")),
                          directions=tuple(a.direction or ("fwd", "bwd")))
    if a.markdown:
        print(_markdown(rows))
    else:
        for r in rows:
            print(f"{r['function']:28} {r['dtype']:8} {r['direction']} max {r['max_ulp']:6g} ULP at "
                  f"{r['worst_x_hex']:24} {'ok' if r['ok'] else 'OVER BOUND'}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
