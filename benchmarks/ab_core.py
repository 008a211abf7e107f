"""In-process A/B of two builds' kernels (elementwise by kernel name, or the axis
operations): the time of a changed build against a reference build, both loaded in one
process and called in turn on the same arrays (float32 unless DTYPE=..., one thread unless
THREADS=n), so that both see the same machine state (this shared machine's speed drifts
by 20 % between minutes; separate runs cannot resolve a 10 % change).

    mkdir -p /tmp/ab/refcore && touch /tmp/ab/refcore/__init__.py
    cp src/pyact/_core*.so /tmp/ab/refcore/         # the reference build
    ...rebuild, copy the new _core*.so into src/pyact/...
    PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py softmax,log_softmax fwd,bwd 4096x10,1024x1000
    AXIS=1 PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py softmax fwd 64x128x128
    PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py gelu,gelu_tanh fwd,bwd 262144
    PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py gelu,swish deriv 256x1024
    THREADS=2 PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py sigmoid,gelu fwd,bwd 16777216
    DTYPE=float16 PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py relu,gelu fwd,bwd 262144
    INPUT=denormal PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py tanh,sigmoid fwd,bwd 65536
    GRAD=denormal PYTHONPATH=src:/tmp/ab python benchmarks/ab_core.py elu,tanh bwd 65536

An elementwise kernel runs with its activation's default parameters (none for a
kernel that is not an activation's name, e.g. gelu_tanh) and backward from x (`bwd_y`:
from y = f(x), for the activations that are y-ok); `deriv`
is the fused forward that keeps f' (bias_act with deriv=True, for gelu and swish).

Prints, per shape, function and direction, the median ns/element of each build and the
median (and quartiles) of new/old over 25 rounds, alternating which build goes first.
"""
from __future__ import annotations

import importlib
import os
import sys
import time

import numpy as np

import pyact as pa
from pyact import _core as new

ROUNDS = 25
# x of every call (INPUT=...): N(0, 9) by default; the bands of benchmarks/bench_ranges.py
# where the denormal detour runs (kernels/apply.h). The backward's g (GRAD=...): N(0, 1)
# by default; GRAD=denormal, a vanishing gradient, times g f' with a denormal g.
INPUTS = {
    "normal": lambda rng, shape, dt: (rng.standard_normal(shape) * 3).astype(dt),
    "denormal": lambda rng, shape, dt: (np.finfo(dt).smallest_normal * (rng.random(shape) - 0.5)).astype(dt),
    "zero": lambda rng, shape, dt: np.zeros(shape, dt),
    "tiny": lambda rng, shape, dt: (rng.choice([-1e-30, 1e-30], shape) * (1 + rng.random(shape))).astype(dt),
}
GRADS = {"normal": lambda rng, shape, dt: rng.standard_normal(shape).astype(dt), "denormal": INPUTS["denormal"]}


def main(names: str, directions: str, shapes: str) -> None:
    old = importlib.import_module("refcore._core")
    threads = int(os.environ.get("THREADS", "1"))
    dtype = np.dtype(os.environ.get("DTYPE", "float32"))
    old.set_num_threads(threads)  # the reference module has its own thread setting
    axis = int(os.environ.get("AXIS", "-1"))
    ops = {n: i for i, n in enumerate(new.axis_ops())}
    kernels = {n: i for i, n in enumerate(new.kernel_names())}
    rng = np.random.default_rng(0)
    with pa.threads(threads):
        for spec in shapes.split(","):
            shape = tuple(int(v) for v in spec.split("x"))
            x = INPUTS[os.environ.get("INPUT", "normal")](rng, shape, dtype)
            g = GRADS[os.environ.get("GRAD", "normal")](rng, shape, dtype)
            o = np.empty_like(x)
            reps = max(1, int(2e6 // x.size))
            for name in names.split(","):
                if name in kernels:
                    args = list(pa.get(name)._kernel.args) if name in pa.available() else []
                    bound = {m: m.Bound(kernels[name], args) for m in (old, new)}
                    y = bound[new].forward(x, np.empty_like(x)) if "bwd_y" in directions else None
                    backward = (lambda b: b.backward(g, x, False, o))
                    backward_y = (lambda b: b.backward(g, y, True, o))
                else:  # maxout with pieces=2; glu and maxout shrink the axis and run backward from x
                    bound = {m: m.AxisBound(ops[name], 2.0 if name == "maxout" else 0.0, axis) for m in (old, new)}
                    y = bound[new].forward(x, None)
                    fwd_out, gy = np.empty_like(y), rng.standard_normal(y.shape).astype(dtype)
                    xy = x if name in ("glu", "maxout") else y
                    backward = (lambda b, gy=gy, xy=xy: b.backward(gy, xy, o))
                for d in directions.split(","):
                    if d == "deriv":  # bias_act keeping f' (pa.MLP's forward; gelu, swish), zero bias
                        bias, pre = np.zeros(x.shape[-1], dtype), np.empty_like(x)
                        call = {m: (lambda m=m: m.bias_act(kernels[name], x, bias, o, pre, tuple(args), True))
                                for m in (old, new)}
                    else:
                        out = o if name in kernels else fwd_out
                        step = {"fwd": lambda b: b.forward(x, out), "bwd": backward}.get(d)
                        if d == "bwd_y" and name in pa.available() and pa.get(name)._kernel.y_ok:
                            step = backward_y
                        if step is None:
                            raise SystemExit(f"{name}: no direction {d!r} (bwd_y: y-ok activations only)")
                        call = {m: (lambda b=b: step(b)) for m, b in bound.items()}
                        if name not in kernels and any(c() is None for c in call.values()):
                            raise SystemExit(f"{name} {d} {shape}: not the fast path (AxisBound returned None)")
                    t = {old: [], new: []}
                    for rnd in range(ROUNDS):
                        for m in ((old, new) if rnd % 2 else (new, old)):
                            t0 = time.perf_counter()
                            for _ in range(reps):
                                call[m]()
                            t[m].append((time.perf_counter() - t0) / reps)
                    r = np.array(t[new]) / np.array(t[old])
                    print(f"{str(shape):16s} {name:12s} {d}  old {np.median(t[old]) / x.size * 1e9:6.3f}  "
                          f"new {np.median(t[new]) / x.size * 1e9:6.3f} ns/elt  new/old median {np.median(r):.2f} "
                          f"[{np.percentile(r, 25):.2f},{np.percentile(r, 75):.2f}]", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
