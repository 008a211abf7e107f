"""The learnable family's speed (issue 4; table in docs/PERFORMANCE.md).

* PReLU forward + backward (dL/dx and the per-channel dL/dalpha), alpha per channel,
  x of shape (256, 64, 32, 32) float32, 1 and 2 threads, against PyTorch's
  ``nn.PReLU`` forward + autograd backward in the same run.
* ns/element of every activation of the family (forward, backward) next to relu's,
  float32 (64, 64, 32, 32), per-channel parameters.

    pytest benchmarks/bench_learnable.py --benchmark-only      # pytest-benchmark
    PYTHONPATH=src python benchmarks/bench_learnable.py        # the markdown tables
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import pyact as pa
from pyact.learnable import LearnableSwish

try:
    import torch
except ImportError:  # PyTorch is optional: its column stays empty
    torch = None

PRELU_SHAPE = (256, 64, 32, 32)
TABLE_SHAPE = (64, 64, 32, 32)


def best_of(cases: dict, rounds: int = 11) -> dict:
    """Best wall time (seconds) of each case over `rounds` rounds that call every case
    once in turn (after a warm-up), so that a busy machine slows them all alike."""
    best = {k: float("inf") for k in cases}
    for fn in cases.values():
        fn()
    for _ in range(rounds):
        for k, fn in cases.items():
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def prelu_cases(threads: int) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(PRELU_SHAPE, dtype=np.float32)
    g = rng.standard_normal(PRELU_SHAPE, dtype=np.float32)
    y, dx = np.empty_like(x), np.empty_like(x)
    act = pa.PReLU(PRELU_SHAPE[1])

    def ours():
        with pa.threads(threads):
            act(x, out=y)
            act.backward(g, x=x, out=dx)

    cases = {"pyact": ours}
    if torch is not None:
        m = torch.nn.PReLU(PRELU_SHAPE[1])
        xt, gt = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(g)

        def theirs():
            prev = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                xt.grad, m.weight.grad = None, None
                m(xt).backward(gt)
            finally:
                torch.set_num_threads(prev)

        cases["torch"] = theirs
    return cases


def family_cases(n_threads: int = 1) -> dict:
    """(name, direction) -> callable over TABLE_SHAPE float32."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(TABLE_SHAPE, dtype=np.float32)
    g = rng.standard_normal(TABLE_SHAPE, dtype=np.float32)
    out = np.empty_like(x)
    c = TABLE_SHAPE[1]
    acts = {
        "relu": None,
        "prelu": pa.PReLU(c),
        "srelu": pa.SReLU(num_parameters=c, t_left=-0.5, a_left=0.1),
        "apl (2 hinges)": pa.APL(hinges=2, num_parameters=c, a=[[0.2], [-0.3]] * np.ones((2, c))),
        "swish (learnable beta)": LearnableSwish(num_parameters=c),
        "rrelu (training)": pa.RReLU(seed=1),
        "rrelu (eval)": pa.RReLU(seed=1).eval(),
    }
    cases = {}
    for name, act in acts.items():
        if act is None:
            cases[(name, "fwd")] = lambda: pa.relu(x, out=out)
            cases[(name, "bwd")] = lambda: pa.grad("relu", g, x=x, out=out)
        else:
            cases[(name, "fwd")] = lambda act=act: act(x, out=out)
            cases[(name, "bwd")] = lambda act=act: act.backward(g, x=x, out=out)
    return cases


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", ["pyact", "torch"])
def test_prelu_fwd_bwd(benchmark, impl, threads):
    cases = prelu_cases(threads)
    if impl not in cases:
        pytest.skip("PyTorch not installed")
    benchmark.extra_info.update({"shape": PRELU_SHAPE, "threads": threads})
    benchmark.pedantic(cases[impl], rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("case", list(family_cases()), ids=lambda c: f"{c[0]}-{c[1]}")
def test_family_ns_per_element(benchmark, case):
    fn = family_cases()[case]
    with pa.threads(1):
        benchmark.pedantic(fn, rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info["elements"] = int(np.prod(TABLE_SHAPE))


def main() -> None:
    print(f"PReLU forward + backward, alpha per channel, x {PRELU_SHAPE} float32 "
          f"(torch {torch.__version__ if torch else 'not installed'}, ISA {pa.info()['isa']})\n")
    print("| threads | pyact ms | torch ms | pyact ns/elem | speed-up |")
    print("|---|---|---|---|---|")
    n = int(np.prod(PRELU_SHAPE))
    for threads in (1, 2):
        t = best_of(prelu_cases(threads))
        tt = t.get("torch")
        print(f"| {threads} | {t['pyact'] * 1e3:.1f} | {'%.1f' % (tt * 1e3) if tt else '-'} | "
              f"{t['pyact'] / n * 1e9:.2f} | {'%.1fx' % (tt / t['pyact']) if tt else '-'} |")
    print(f"\nns/element, float32 {TABLE_SHAPE}, per-channel parameters, 1 thread\n")
    print("| activation | forward | backward (dx + parameter gradients) |")
    print("|---|---|---|")
    m = int(np.prod(TABLE_SHAPE))
    with pa.threads(1):
        t = best_of(family_cases())
    for name in dict.fromkeys(k[0] for k in t):
        print(f"| {name} | {t[(name, 'fwd')] / m * 1e9:.2f} | {t[(name, 'bwd')] / m * 1e9:.2f} |")


if __name__ == "__main__":
    main()
