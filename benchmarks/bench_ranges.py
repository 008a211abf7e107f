"""No slow path on any input range (PITFALLS: MKL's gelu ran 150x slower below -14;
SPEC §2: denormal inputs at most 2x slower): every elementwise activation of the
catalog, forward and backward (from x), float32 and float64, timed on arrays whose
values all lie in one band of magnitudes, against the same call on N(0, 3^2) data,
interleaved in one run.

    python benchmarks/bench_ranges.py [--dtype float32 float64] [--n 65536] [--md FILE]

A multiplication whose result underflows (a denormal result, or one that rounds to 0
from below the smallest normal), or a division with a denormal operand, runs slower on
x86; tiny inputs (|x| around 1e-30, where x*x underflows) and denormal inputs are where a
polynomial walks into that. Three columns: the slowest band whose results are normal or
0, the ±denormal band (SPEC §2: at most 2x, whatever the result), and the slowest other
band whose results are denormal (those cannot avoid an underflowing operation). The
first two should cost what the N(0, 3^2) data costs. A fourth, backward only: a
denormal g (a vanishing gradient) on the N(0, 3^2) x, also an input SPEC §2 covers.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import pyact as pa
from conftest import interleaved

MAGNITUDES = [0.5, 2, 8, 13.5, 20, 40, 60, 88, 95, 100, 110, 200, 800, 1e4, 1e30]
# Small magnitudes, per dtype: where x^2, then x alone, falls below the smallest normal.
TINY = {"float32": [1e-5, 1e-15, 1e-25, 1e-35], "float64": [1e-5, 1e-100, 1e-200, 1e-300]}


def _bands(dtype: np.dtype, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    jitter = 1 + 0.05 * rng.random(n)
    tiny = float(np.finfo(dtype).smallest_normal)
    bands = {}
    for m in TINY[dtype.name] + MAGNITUDES:
        for sign in (1, -1):
            bands[f"{sign * m:g}"] = (sign * m * jitter).astype(dtype)
    bands["±inf"] = np.where(rng.random(n) < 0.5, np.inf, -np.inf).astype(dtype)
    bands["±denormal"] = (tiny * (rng.random(n) - 0.5)).astype(dtype)
    bands["±0"] = np.where(rng.random(n) < 0.5, 0.0, -0.0).astype(dtype)
    return bands


def _elementwise(name: str) -> bool:
    spec = pa.registry.spec_of(name)
    return spec is not None and spec.family == "elementwise"


def _has_denormal(a: np.ndarray) -> bool:
    tiny = np.finfo(a.dtype).smallest_normal
    return bool(np.any((a != 0) & (np.abs(a) < tiny)))


def measure(name: str, params: dict, dtype: np.dtype, n: int) -> list[dict]:
    x0 = (np.random.default_rng(1).standard_normal(n) * 3).astype(dtype)
    g = np.ones(n, dtype)
    tiny = float(np.finfo(dtype).smallest_normal)
    g_denormal = (tiny * (np.random.default_rng(2).random(n) - 0.5)).astype(dtype)
    out = np.empty(n, dtype)
    rows = []
    for direction in ("fwd", "bwd"):
        def call(x, g=g):
            if direction == "fwd":
                return lambda: getattr(pa, name)(x, out=out, **params)
            return lambda: pa.grad(name, g, x=x, out=out, **params)
        base_fn = call(x0)
        # Calls per sample: about 1 ms of work, so that a cheap function's per-call
        # overhead and timer jitter do not swamp its ratio.
        t0 = time.perf_counter()
        for _ in range(5):
            base_fn()
        number = max(3, round(1e-3 / ((time.perf_counter() - t0) / 5)))
        worst = {"normal": (1.0, "—"), "denormal input": (1.0, "—"), "denormal result": (1.0, "—"),
                 "denormal g": (1.0, "—")}
        base = []
        for band, x in _bands(dtype, n).items():
            fn = call(x)
            fn()
            kind = ("denormal input" if band == "±denormal"
                    else "denormal result" if _has_denormal(out) else "normal")
            t = interleaved({"base": base_fn, "band": fn}, number, rounds=15)  # a burst of load hits both
            base.append(t["base"])
            ratio = t["band"] / t["base"]
            if ratio > worst[kind][0] or worst[kind][1] == "—":
                worst[kind] = (ratio, band)
        if direction == "bwd":
            t = interleaved({"base": base_fn, "band": call(x0, g_denormal)}, number, rounds=15)
            base.append(t["base"])
            worst["denormal g"] = (t["band"] / t["base"], "±denormal g")
        ns = statistics.median(base) / n * 1e9
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        rows.append({"name": label, "dir": direction, "dtype": dtype.name, "base_ns": ns,
                     "worst": worst})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    ap.add_argument("--n", type=int, default=65536)
    ap.add_argument("--md", help="also write the Markdown table to this file")
    ap.add_argument("--names", nargs="+", help="only these activations")
    args = ap.parse_args()
    names = args.names or [a for a in pa.available() if _elementwise(a)]
    required = {"threshold": {"threshold": 0.5, "value": -2.0}}  # parameters without a default
    cases = [(a, required.get(a, {})) for a in names] + ([("gelu", {"approximate": "tanh"})] if "gelu" in names else [])
    kinds = ("normal", "denormal input", "denormal result", "denormal g")
    lines = ["| function | dir | dtype | ns/elt on N(0, 9) | slowest band, result normal or 0 | ±denormal input | "
             "slowest band, result denormal | ±denormal g, x on N(0, 9) |", "|---|---|---|---:|---|---|---|---|"]
    with pa.threads(1):
        for dt in args.dtype:
            for name, params in cases:
                for r in measure(name, params, np.dtype(dt), args.n):
                    cells = [f"{w[0]:.2f}×" if w[1] == "±denormal g" else f"{w[0]:.2f}× ({w[1]})" if w[1] != "—" else "—"
                             for w in map(r["worst"].get, kinds)]
                    line = f"| {r['name']} | {r['dir']} | {r['dtype']} | {r['base_ns']:.2f} | " + " | ".join(cells) + " |"
                    lines.append(line)
                    print(line, flush=True)
    if args.md:
        with open(args.md, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
