"""The fused epilogue against its unfused forms (pytest-benchmark):

    pytest benchmarks/bench_fused.py --benchmark-group-by=param:case

For each activation and shape: pa.bias_act (one pass) vs x + b then pa.<name> (two
passes) vs NumPy; and pa.bias_act_grad vs pa.grad then a NumPy column sum.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import pyact as pa
from conftest import interleaved
from pyact import _core
from pyact.fused import _epilogue

SHAPES = [(64, 128), (256, 1024), (4096, 64)]
NAMES = [n for n in ("relu", "gelu", "tanh", "swish") if n in pa.available()]


def _data(shape):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape[-1], dtype=np.float32),
            rng.standard_normal(shape, dtype=np.float32))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["fused", "unfused"])
def test_forward(benchmark, name, shape, case):
    x, b, _ = _data(shape)
    out = np.empty_like(x)
    fn = getattr(pa, name)
    if case == "fused":
        benchmark(lambda: pa.bias_act(x, b, name, out=out))
    else:
        benchmark(lambda: fn(np.add(x, b, out=out), out=out))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["fused", "unfused"])
def test_backward(benchmark, name, shape, case):
    x, _, g = _data(shape)
    out = np.empty_like(x)
    if case == "fused":
        benchmark(lambda: pa.bias_act_grad(name, g, x=x, out=out))
    else:
        benchmark(lambda: (pa.grad(name, g, x=x, out=out), out.sum(axis=0, dtype=np.float64)))


# A training step's epilogue pair (forward + backward) as pa.MLP runs it, for the
# activations that cannot run backward from y, one thread, interleaved in one run:
#   keep x  - bias_act keeping x + b, then bias_act_grad from it (recomputes f'(x))
#   keep f' - bias_act computing f'(x + b) alongside y (gelu, swish: one exponential),
#             then bias_act_grad = g * f' with the column sums
#   torch   - F.gelu / F.silu and their aten backward, when PyTorch is installed (no
#             bias: its addmm adds it, and its column sum is a separate aten::sum)
# PYACT_BENCH_MD=file writes the table.
_PAIRS: list[str] = []


@pytest.mark.parametrize("name", [n for n in ("gelu", "swish") if n in pa.available()])
def test_training_pair(benchmark, name):
    x, b, g = _data((256, 1024))
    y, keep, gx, gb = np.empty_like(x), np.empty_like(x), np.empty_like(x), np.empty(x.shape[1], x.dtype)
    k = _epilogue(name, {}).kernel
    fns = {
        "keep x": lambda: (_core.bias_act(k.kid, x, b, y, keep, k.args, False),
                           _core.bias_act_grad(k.kid, 0, g, keep, gx, gb, k.args)),
        "keep f'": lambda: (_core.bias_act(k.kid, x, b, y, keep, k.args, True),
                            _core.bias_act_grad(k.kid, 2, g, keep, gx, gb, k.args)),
    }
    try:
        import torch
        import torch.nn.functional as F
        a = torch.ops.aten
        tx, tg = torch.from_numpy(x), torch.from_numpy(g)
        fwd, bwd = {"gelu": (F.gelu, a.gelu_backward), "swish": (F.silu, a.silu_backward)}[name]
        fns["torch"] = lambda: (fwd(tx), bwd(tg, tx))
        prev = torch.get_num_threads()
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    try:
        with pa.threads(1):
            t = interleaved(fns, 20, rounds=9)
            benchmark.pedantic(fns["keep f'"], rounds=3, iterations=20)
    finally:
        if torch is not None:
            torch.set_num_threads(prev)
    ns = {key: v / x.size * 1e9 for key, v in t.items()}
    kept_x, kept_d = ns["keep x"], ns["keep f'"]
    _PAIRS.append(f"| {name} | {kept_x:.2f} | {kept_d:.2f} | " + (f"{ns['torch']:.2f} |" if "torch" in ns else "— |"))
    benchmark.extra_info.update(ns)
    text = ("| (256, 1024) float32, 1 thread, ns/element | keep x | keep f' | torch (no bias) |\n"
            "|---|---:|---:|---:|\n" + "\n".join(_PAIRS))
    print("\n" + text)
    if os.environ.get("PYACT_BENCH_MD"):
        with open(os.environ["PYACT_BENCH_MD"], "w") as f:
            f.write(text + "\n")
