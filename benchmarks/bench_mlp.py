"""Trainer speed (issue 6), one run, printed as the Markdown of docs/PERFORMANCE.md.

1. digits (1,797 × 64, 75/25 stratified split, standardised with eps=1), hidden (128, 64), relu, batch 64,
   Adam 1e-3: seconds per epoch of pa.MLP against scikit-learn's MLPClassifier with the
   same architecture, batch size and optimiser (alpha=0: no L2 in either).
2. synthetic 100,000 × 256 float32, 10 classes, hidden (1024, 1024), batch 256, gelu,
   Adam 1e-3: seconds per epoch of pa.MLP against the same MLP in PyTorch (autograd,
   nn.Linear + nn.GELU, same thread count), and where the time goes (matmul vs
   activations vs the rest), measured on separate instrumented batches.

    python benchmarks/bench_mlp.py [--threads N] [--rows 100000] [--epochs 1] [--activation gelu]

Needs scikit-learn and torch for the comparisons (each part is skipped without them).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import os
import platform
import time
import warnings

import numpy as np

if sys.argv[1:3] == ["--part", "torch"]:
    # The PyTorch child process: PyTorch's OpenMP runtime starts with its own defaults,
    # before importing pyact asks for a passive wait policy.
    import torch  # noqa: F401
import pyact as pa  # noqa: E402
from pyact import fused  # noqa: E402


def _blas_threads(n):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(n, user_api="blas")


def bench_digits(epochs: int) -> dict:
    X, y = pa.datasets.digits()
    Xtr, Xte, ytr, yte = pa.datasets.train_test_split(X, y, 0.25, seed=0)
    Xtr, Xte = pa.datasets.standardize(Xtr, Xte, eps=1.0)
    m = pa.MLP(hidden=(128, 64), activation="relu", batch_size=64, lr=1e-3, epochs=epochs, seed=0)
    h = m.fit(Xtr, ytr)
    row = {"pyact_s": float(np.median(h.seconds)), "pyact_acc": m.score(Xte, yte)}
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return row
    sk = MLPClassifier(hidden_layer_sizes=(128, 64), activation="relu", solver="adam", alpha=0.0,
                       batch_size=64, learning_rate_init=1e-3, max_iter=epochs, tol=0.0,
                       n_iter_no_change=10 ** 9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        sk.fit(Xtr, ytr)
        row["sklearn_s"] = (time.perf_counter() - t0) / sk.n_iter_
    row["sklearn_acc"] = sk.score(Xte, yte)
    return row


class _Clock:
    """Accumulates the time spent inside wrapped callables, by category, and for the
    epilogues ("act_fwd", "act_bwd") the elements of the array they were given."""

    def __init__(self):
        self.t = {"matmul": 0.0, "act_fwd": 0.0, "act_bwd": 0.0, "optimiser": 0.0}
        self.elements = {"act_fwd": 0, "act_bwd": 0}

    def wrap(self, fn, kind):
        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.t[kind] += time.perf_counter() - t0
                if kind in self.elements:
                    self.elements[kind] += a[1].size  # a[0] is the Epilogue
        return timed


def bench_pyact_large(X, y, activation, epochs, batches_profiled) -> dict:
    m = pa.MLP(hidden=(1024, 1024), activation=activation, batch_size=256, lr=1e-3, epochs=epochs, seed=0)
    h = m.fit(X, y)
    out = {"epoch_s": float(np.mean(h.seconds))}
    # Breakdown: the same training loop on a slice of the data with np.matmul and the
    # fused epilogues timed.
    clock = _Clock()
    saved = np.matmul, fused.Epilogue.forward, fused.Epilogue.backward, pa.MLP._step
    np.matmul = clock.wrap(saved[0], "matmul")
    fused.Epilogue.forward = clock.wrap(saved[1], "act_fwd")
    fused.Epilogue.backward = clock.wrap(saved[2], "act_bwd")
    pa.MLP._step = clock.wrap(saved[3], "optimiser")
    try:
        n = 256 * batches_profiled
        h = m.set_params(epochs=1).fit(X[:n], y[:n])
        total = h.seconds[0]  # the epoch's loop (not the initialisation before it)
    finally:
        np.matmul, fused.Epilogue.forward, fused.Epilogue.backward, pa.MLP._step = saved
    activation = clock.t["act_fwd"] + clock.t["act_bwd"]
    out.update(_shares(total, clock.t["matmul"], activation, clock.t["optimiser"]))
    out["ns_per_element"] = {kind: clock.t[kind] / max(1, n) * 1e9 for kind, n in clock.elements.items()}
    return out


def bench_torch_large(X, y, activation, epochs, threads, batches_profiled) -> dict | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    act = {"gelu": torch.nn.GELU, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "swish": torch.nn.SiLU}[activation]
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 1024), act(), torch.nn.Linear(1024, 1024), act(),
                              torch.nn.Linear(1024, int(y.max()) + 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(0)

    def epoch(n):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, 256):
            idx = order[s:s + 256]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        epoch(len(X))
        times.append(time.perf_counter() - t0)
    out = {"epoch_s": float(np.mean(times))}
    from torch.profiler import ProfilerActivity, profile
    n = 256 * batches_profiled
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        epoch(n)
    total = time.perf_counter() - t0
    mm = act_t = opt_t = 0.0
    for ev in prof.key_averages():
        name = ev.key
        self_s = ev.self_cpu_time_total / 1e6
        if name in ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul"):
            mm += self_s
        elif any(k in name for k in ("gelu", "relu", "tanh", "silu", "threshold_backward")):
            act_t += self_s
        elif name.startswith("Optimizer.step#"):
            opt_t += ev.cpu_time_total / 1e6  # the whole step, with the ops inside it
    out.update(_shares(total, mm, act_t, opt_t))
    return out


def _shares(total, mm, act, opt):
    return {"profiled_s": total, "matmul": mm / total, "activation": act / total,
            "rest": max(0.0, 1 - (mm + act) / total), "optimiser": opt / total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="threads for pyact, BLAS and torch (default: all)")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the large case")
    ap.add_argument("--epochs", type=int, default=1, help="epochs of the large case")
    ap.add_argument("--digits-epochs", type=int, default=10)
    ap.add_argument("--activation", default="gelu")
    ap.add_argument("--profiled-batches", type=int, default=40)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-digits", action="store_true")
    ap.add_argument("--part", default="all", choices=["all", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    threads = args.threads or pa.get_num_threads()
    pa.set_num_threads(threads)
    if args.part == "all":
        print(f"machine: {platform.processor() or platform.machine()}, pyact {pa.info()['version']} "
              f"isa {pa.info()['isa']}, threads {threads}, numpy {np.__version__}\n")
    if args.part == "all" and not args.skip_digits:
        _report_digits(args.digits_epochs)
    if args.skip_large:
        return
    large(args, threads)


def _report_digits(epochs):
    with _blas_threads(1):  # tiny matmuls: one BLAS thread is fastest for every library
        d = bench_digits(epochs)
    print("| digits, (128, 64) relu, batch 64, Adam | s/epoch | test acc |\n|---|---|---|")
    print(f"| pyact MLP | {d['pyact_s']:.4f} | {d['pyact_acc']:.4f} |")
    if "sklearn_s" in d:
        print(f"| scikit-learn MLPClassifier | {d['sklearn_s']:.4f} | {d['sklearn_acc']:.4f} |")
        print(f"| ratio pyact / sklearn | {d['pyact_s'] / d['sklearn_s']:.2f} | |")


def large(args, threads):
    if args.activation not in pa.available():
        print(f"\n{args.activation} is not in this build's catalog: large case skipped")
        return
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, 256), dtype=np.float32)
    teacher = rng.standard_normal((256, 10), dtype=np.float32)
    y = (X @ teacher + rng.standard_normal((args.rows, 10), dtype=np.float32)).argmax(axis=1).astype(np.int64)
    if args.part == "torch":  # the child process of the PyTorch measurement
        print(json.dumps(bench_torch_large(X, y, args.activation, args.epochs, threads, args.profiled_batches)))
        return
    with _blas_threads(threads):
        p = bench_pyact_large(X, y, args.activation, args.epochs, args.profiled_batches)
    # PyTorch in a process of its own, with its own OpenMP defaults.
    child = subprocess.run([sys.executable, __file__, "--part", "torch", "--threads", str(threads),
                            "--rows", str(args.rows), "--epochs", str(args.epochs), "--activation",
                            args.activation, "--profiled-batches", str(args.profiled_batches)],
                           capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                                if k != "OMP_WAIT_POLICY"})
    lines = child.stdout.strip().splitlines()
    t = json.loads(lines[-1]) if child.returncode == 0 and lines and lines[-1] != "null" else None
    if child.returncode:
        print(child.stderr[-2000:], file=sys.stderr)
    print(f"\n| {args.rows:,} × 256, (1024, 1024) {args.activation}, batch 256, Adam, {threads} threads "
          "| s/epoch | matmul | activations | rest | (of which optimiser) |\n|---|---|---|---|---|---|")
    for name, r in (("pyact MLP", p), ("PyTorch (autograd)", t)):
        if r:
            print(f"| {name} | {r['epoch_s']:.3f} | {r['matmul']:.1%} | {r['activation']:.1%} | {r['rest']:.1%} "
                  f"| {r['optimiser']:.1%} |")
    if t:
        print(f"| ratio pyact / PyTorch | {p['epoch_s'] / t['epoch_s']:.2f} | | | | |")
    ns = p["ns_per_element"]
    print(f"\npyact's epilogues in the training loop: forward {ns['act_fwd']:.2f} ns/element "
          f"(bias_act, with f' where it keeps it), backward {ns['act_bwd']:.2f} ns/element (bias_act_grad)")
    print(f"\n(shares from {args.profiled_batches} separately instrumented batches; "
          "pyact: wall time inside np.matmul and the fused epilogues; PyTorch: self CPU time of "
          "aten::mm/addmm and of the activation's forward/backward ops, torch.profiler; optimiser: "
          "pa.MLP._step wall time, PyTorch's Optimizer.step CPU time with its ops)")


if __name__ == "__main__":
    main()
