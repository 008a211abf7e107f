"""No slow path on any input range (PITFALLS: MKL's gelu ran 150x slower below -14;
SPEC §2: denormal inputs at most 2x slower): every elementwise activation of the
catalog, forward and backward (from x), float32 and float64, timed on arrays whose
values all lie in one band of magnitudes, against the same call on N(0, 3^2) data,
interleaved in one run.

    python benchmarks/bench_ranges.py [--dtype float32 float64] [--n 65536] [--md FILE]

A multiplication or division whose result underflows runs several times slower on x86
(a denormal result, or one that rounds to 0 from below the smallest normal). A band
where the function's own result is denormal cannot avoid that and is reported apart;
every other band should cost what the N(0, 3^2) data costs.
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np

import pyact as pa
from conftest import interleaved

MAGNITUDES = [0.5, 2, 8, 13.5, 20, 40, 60, 88, 95, 100, 110, 200, 800, 1e4, 1e30]


def _bands(dtype: np.dtype, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    jitter = 1 + 0.05 * rng.random(n)
    tiny = float(np.finfo(dtype).smallest_normal)
    bands = {}
    for m in MAGNITUDES:
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
    out = np.empty(n, dtype)
    rows = []
    for direction in ("fwd", "bwd"):
        def call(x):
            if direction == "fwd":
                return lambda: getattr(pa, name)(x, out=out, **params)
            return lambda: pa.grad(name, g, x=x, out=out, **params)
        base_fn = call(x0)
        worst = {False: (1.0, "—"), True: (1.0, "—")}
        base = []
        for band, x in _bands(dtype, n).items():
            fn = call(x)
            fn()
            denormal = _has_denormal(out)
            t = interleaved({"base": base_fn, "band": fn}, 3, rounds=15)  # a burst of load hits both
            base.append(t["base"])
            ratio = t["band"] / t["base"]
            if ratio > worst[denormal][0]:
                worst[denormal] = (ratio, band)
        ns = statistics.median(base) / n * 1e9
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        rows.append({"name": label, "dir": direction, "dtype": dtype.name, "base_ns": ns,
                     "worst": worst[False], "worst_denormal": worst[True]})
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
    lines = ["| function | dir | dtype | ns/elt on N(0, 9) | slowest band, result not denormal | "
             "slowest band, result denormal |", "|---|---|---|---:|---|---|"]
    with pa.threads(1):
        for dt in args.dtype:
            for name, params in cases:
                for r in measure(name, params, np.dtype(dt), args.n):
                    w, wd = r["worst"], r["worst_denormal"]
                    line = (f"| {r['name']} | {r['dir']} | {r['dtype']} | {r['base_ns']:.2f} | "
                            f"{w[0]:.2f}× ({w[1]}) | " + (f"{wd[0]:.2f}× ({wd[1]})" if wd[1] != "—" else "—") + " |")
                    lines.append(line)
                    print(line, flush=True)
    if args.md:
        with open(args.md, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
