"""pyact.torch against PyTorch's own functions (catalog entries whose ``Act.torch``
names one), forward and forward+backward, CPU float32.

    pytest benchmarks/bench_torch_adapter.py --benchmark-only          # pytest-benchmark
    PYTHONPATH=src python benchmarks/bench_torch_adapter.py [N]        # a quick table
"""
from __future__ import annotations

import sys
import timeit

import pytest

torch = pytest.importorskip("torch")

import pyact.torch as pat  # noqa: E402
from pyact import _catalog  # noqa: E402

N = 1 << 22
ACTS = [a for a in _catalog.CATALOG if a.torch and a.name in pat.MODULES]
PARAMS = {"threshold": {"threshold": 0.5, "value": -2.0}}


def _fns(act):
    params = PARAMS.get(act.name, {})
    ours = pat.MODULES[act.name](**params)
    F = getattr(torch.nn.functional, act.torch)
    return (lambda x: ours(x)), (lambda x: F(x, *params.values()))


def _fwd_bwd(fn, x):
    x.grad = None
    fn(x).backward(x.detach())


@pytest.mark.parametrize("impl", ["pyact", "torch"])
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_forward(benchmark, act, impl):
    x = torch.randn(N)
    fn = _fns(act)[impl == "torch"]
    benchmark(fn, x)


@pytest.mark.parametrize("impl", ["pyact", "torch"])
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_forward_backward(benchmark, act, impl):
    x = torch.randn(N, requires_grad=True)
    fn = _fns(act)[impl == "torch"]
    benchmark(_fwd_bwd, fn, x)


def _best(f, reps=7) -> float:
    return min(timeit.repeat(f, number=1, repeat=reps))


def main(n: int = N) -> None:
    x = torch.randn(n)
    xg = torch.randn(n, requires_grad=True)
    print(f"n={n} float32, torch {torch.__version__}, {torch.get_num_threads()} torch threads; times in ms (best of 7)")
    print(f"{'activation':<14}{'fwd pyact':>10}{'fwd torch':>10}{'ratio':>7}{'f+b pyact':>11}{'f+b torch':>11}{'ratio':>7}")
    for act in ACTS:
        ours, theirs = _fns(act)
        f1, f2 = _best(lambda: ours(x)), _best(lambda: theirs(x))
        b1, b2 = _best(lambda: _fwd_bwd(ours, xg)), _best(lambda: _fwd_bwd(theirs, xg))
        print(f"{act.name:<14}{f1 * 1e3:>10.2f}{f2 * 1e3:>10.2f}{f2 / f1:>7.2f}{b1 * 1e3:>11.2f}{b2 * 1e3:>11.2f}{b2 / b1:>7.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N)
