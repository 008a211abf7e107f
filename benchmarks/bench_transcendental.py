"""The transcendental activations, forward and backward, float32: pyact against the
NumPy expression a NumPy user would write (scipy.special where it has the function)
and PyTorch (when installed), interleaved in one run, with the in-place streaming
bandwidth measured in the same run (issue 3's targets; docs/PERFORMANCE.md).

    PYACT_BENCH_MD=perf.md pytest benchmarks/bench_transcendental.py --benchmark-only -s

262,144 elements run on 1 thread (cache-resident), 16,777,216 on 2 threads.
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from scipy import special as sp

import pyact as pa
from conftest import interleaved

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is optional: its columns stay empty
    torch = None

CASES = [(262_144, 1), (16_777_216, 2)]
_ROWS: list[dict] = []
_BW: dict[int, float] = {}


def _bandwidth(threads: int, n: int = 1 << 24) -> float:
    """GB/s of an in-place streaming multiply (read + write) over `threads` threads."""
    if threads not in _BW:
        a = np.ones(n, np.float32)
        parts = np.array_split(a, threads)

        def run():
            ts = [threading.Thread(target=np.multiply, args=(p, np.float32(1.0)), kwargs={"out": p}) for p in parts]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        _BW[threads] = 2 * a.nbytes / interleaved({"bw": run}, 3, 7)["bw"] / 1e9
    return _BW[threads]


def _np_expr(name):
    """(forward, backward from x) as a NumPy user writes them."""
    s = sp.expit
    return {
        "sigmoid": (lambda x: s(x), lambda g, x: g * s(x) * (1 - s(x))),
        "tanh": (np.tanh, lambda g, x: g * (1 - np.tanh(x) ** 2)),
        "swish": (lambda x: x * s(x), lambda g, x: g * (s(x) * (1 + x * (1 - s(x))))),
        "gelu": (lambda x: x * sp.ndtr(x),
                 lambda g, x: g * (sp.ndtr(x) + x * np.exp(-0.5 * x * x) * np.float32(0.3989422804014327))),
        "gelu_tanh": (lambda x: 0.5 * x * (1 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x ** 3))),
                      None),
        "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
                lambda g, x: g * np.where(x > 0, 1, np.exp(np.minimum(x, 0)))),
        "selu": (lambda x: np.float32(1.0507009873554805) * np.where(x > 0, x, np.float32(1.6732632423543772) *
                                                                     np.expm1(np.minimum(x, 0))), None),
        "celu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), None),
        "softplus": (lambda x: np.logaddexp(0, x), lambda g, x: g * s(x)),
        "log_sigmoid": (lambda x: -np.logaddexp(0, -x), lambda g, x: g * s(-x)),
        "mish": (lambda x: x * np.tanh(np.logaddexp(0, x)), None),
        "exponential": (np.exp, lambda g, x: g * np.exp(x)),
        "tanhshrink": (lambda x: x - np.tanh(x), lambda g, x: g * np.tanh(x) ** 2),
    }[name]


def _torch_fns(name):
    if torch is None:
        return None
    fwd = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "swish": F.silu, "gelu": F.gelu,
           "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "elu": F.elu, "selu": F.selu, "celu": F.celu,
           "softplus": F.softplus, "log_sigmoid": F.logsigmoid, "mish": F.mish, "exponential": torch.exp,
           "tanhshrink": F.tanhshrink}[name]
    a = torch.ops.aten
    bwd = {"sigmoid": lambda g, x, y: a.sigmoid_backward(g, y), "tanh": lambda g, x, y: a.tanh_backward(g, y),
           "swish": lambda g, x, y: a.silu_backward(g, x), "gelu": lambda g, x, y: a.gelu_backward(g, x),
           "gelu_tanh": lambda g, x, y: a.gelu_backward(g, x, approximate="tanh"),
           "elu": lambda g, x, y: a.elu_backward(g, 1.0, 1.0, 1.0, False, x),
           "softplus": lambda g, x, y: a.softplus_backward(g, x, 1.0, 20.0),
           "mish": lambda g, x, y: a.mish_backward(g, x)}.get(name)
    return fwd, bwd


NAMES = ["sigmoid", "tanh", "swish", "gelu", "gelu_tanh", "elu", "selu", "celu", "softplus", "log_sigmoid", "mish",
         "exponential", "tanhshrink"]


# Where PyTorch's backward reads the output (sigmoid_backward, tanh_backward), pyact's
# does too (both are y-ok): the same work, the way a trainer calls it.
FROM_Y = {"sigmoid", "tanh"}


def _pyact(name):
    if name == "gelu_tanh":
        return (lambda x, out: pa.gelu(x, approximate="tanh", out=out),
                lambda g, x, y, out: pa.grad("gelu", g, x=x, approximate="tanh", out=out))
    f = getattr(pa, name)
    if name in FROM_Y:
        return (lambda x, out: f(x, out=out), lambda g, x, y, out: pa.grad(name, g, y=y, out=out))
    return (lambda x, out: f(x, out=out), lambda g, x, y, out: pa.grad(name, g, x=x, out=out))


@pytest.mark.parametrize("n,threads", CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("direction", ["fwd", "bwd"])
@pytest.mark.parametrize("name", NAMES)
def test_transcendental(benchmark, name, direction, n, threads):
    x = (np.random.default_rng(0).standard_normal(n) * 3).astype(np.float32)
    g = np.ones_like(x)
    out = np.empty_like(x)
    pf, pb = _pyact(name)
    nf, nb = _np_expr(name)
    y = pf(x, np.empty_like(x))
    fns = {"pyact": (lambda: pf(x, out)) if direction == "fwd" else (lambda: pb(g, x, y, out))}
    if direction == "fwd":
        fns["numpy"] = lambda: nf(x)
    elif nb is not None:
        fns["numpy"] = lambda: nb(g, x)
    tf = _torch_fns(name)
    if tf is not None:
        tx, tg = torch.from_numpy(x), torch.from_numpy(g)
        ty = tf[0](tx)
        if direction == "fwd":
            fns["torch"] = lambda: tf[0](tx)
        elif tf[1] is not None:
            fns["torch"] = lambda: tf[1](tg, tx, ty)
    prev = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(threads)
        with pa.threads(threads):
            number = 20 if n < 1 << 20 else 1
            t = interleaved(fns, number, rounds=7 if n < 1 << 20 else 3)
            benchmark.pedantic(fns["pyact"], rounds=3, iterations=number)
    finally:
        if torch is not None:
            torch.set_num_threads(prev)
    nbytes = (2 if direction == "fwd" else 3) * x.nbytes
    row = {"name": name, "dir": direction, "n": n, "threads": threads,
           **{f"{k}_ns": v / n * 1e9 for k, v in t.items()},
           "pyact_GBps": nbytes / t["pyact"] / 1e9, "bw_GBps": _bandwidth(threads)}
    _ROWS.append(row)
    benchmark.extra_info.update(row)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if not _ROWS:
        return
    lines = ["| function | dir | n | threads | pyact ns/elt | NumPy ns/elt | torch ns/elt | vs NumPy | vs torch |"
             " pyact GB/s | % of in-place bandwidth |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in _ROWS:
        def cell(k):
            return f"{r[k]:.3g}" if k in r else "—"

        def ratio(k):
            return f"{r[k] / r['pyact_ns']:.1f}×" if k in r else "—"
        lines.append(f"| {r['name']} | {r['dir']} | {r['n']:,} | {r['threads']} | {cell('pyact_ns')} | "
                     f"{cell('numpy_ns')} | {cell('torch_ns')} | {ratio('numpy_ns')} | {ratio('torch_ns')} | "
                     f"{r['pyact_GBps']:.1f} | {100 * r['pyact_GBps'] / r['bw_GBps']:.0f}% |")
    lines.append(f"\nIn-place streaming bandwidth (NumPy multiply, same run): "
                 + ", ".join(f"{k} thread(s) {v:.1f} GB/s" for k, v in sorted(_BW.items())))
    text = "\n".join(lines)
    print("\n" + text)
    path = os.environ.get("PYACT_BENCH_MD")
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
