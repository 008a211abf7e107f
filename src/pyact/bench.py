"""The measurement engine of ``pyact bench`` (and of anything under benchmarks/ that
wants the same numbers): pyact, the NumPy expression a user would write, and PyTorch
when it is installed, side by side in one run, next to the streaming memory bandwidth
measured in the same run.

Method: every implementation and direction is timed in turn (interleaved), each sample
is a batch of calls long enough to read the clock reliably, the round is repeated and
the median is kept. Bytes moved per call are counted from the arrays actually read and
written (forward: x and y; backward: grad_out, x and grad_in), so GB/s is comparable
with the bandwidth probe (an in-place multiply and a copy, both read + write).

pyact writes into a preallocated ``out=`` buffer (its in-place path); NumPy and PyTorch
run as written by a user (they allocate their result).
"""
from __future__ import annotations

import inspect
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["NUMPY", "Timing", "Result", "Report", "bench_activation", "measure_bandwidth",
           "run", "format_table", "example_params"]

_SQRT2 = math.sqrt(2.0)
_GELU_K = math.sqrt(2.0 / math.pi)
_COLS = 256        # every benchmark array is (rows, 256): channels for per-channel params, rows for axis ops


# --- the NumPy expressions a user would write: name -> (forward(x, p), backward(g, x, p)) -----
def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _erf(x):
    try:
        from scipy.special import erf
    except ImportError:  # NumPy alone has no erf: what a NumPy-only user is left with
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x)


def _relu_f(x, p):
    if p["negative_slope"] == 0 and p["max_value"] is None and p["threshold"] == 0:
        return np.maximum(x, 0)
    mv = np.inf if p["max_value"] is None else p["max_value"]
    t = p["threshold"]
    return np.where(x >= mv, mv, np.where(x >= t, x, p["negative_slope"] * (x - t))).astype(x.dtype)


def _relu_b(g, x, p):
    if p["negative_slope"] == 0 and p["max_value"] is None and p["threshold"] == 0:
        return g * (x > 0)
    mv = np.inf if p["max_value"] is None else p["max_value"]
    return g * np.where(x >= mv, 0, np.where(x >= p["threshold"], 1, p["negative_slope"])).astype(x.dtype)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_b(g, y, axis):
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


def _log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _maxout_b(g, x, p):
    k, ax = p["pieces"], p["axis"] % x.ndim
    xs = x.reshape(*x.shape[:ax], x.shape[ax] // k, k, *x.shape[ax + 1:])
    idx = np.expand_dims(xs.argmax(axis=ax + 1), ax + 1)
    gi = np.zeros_like(xs)
    np.put_along_axis(gi, idx, np.expand_dims(g, ax + 1), axis=ax + 1)
    return gi.reshape(x.shape)


def _maxout_f(x, p):
    k, ax = p["pieces"], p["axis"] % x.ndim
    return x.reshape(*x.shape[:ax], x.shape[ax] // k, k, *x.shape[ax + 1:]).max(axis=ax + 1)


def _channel(a, x, axis=1):
    """A per-channel parameter shaped to broadcast along ``axis`` of x (a scalar stays one)."""
    a = np.asarray(a, dtype=x.dtype)
    if a.size == 1:
        return a.reshape(())
    shape = [1] * x.ndim
    shape[axis % x.ndim] = a.size
    return a.reshape(shape)


def _gelu_tanh(x):
    return np.tanh(_GELU_K * (x + 0.044715 * x ** 3))


def _apl_terms(x, p):
    """APL's a and b ([S] shared or [S, C] per channel) shaped to broadcast against x[None]."""
    a, b = (np.asarray(p[k], x.dtype) for k in ("a", "b"))
    shape = (a.shape[0],) + (1,) * (x.ndim - 1) + ((a.shape[1],) if a.ndim == 2 and a.shape[1] > 1 else (1,))
    return a.reshape(shape), b.reshape(shape)


NUMPY: dict[str, tuple[Callable, Callable]] = {
    "linear": (lambda x, p: x.copy(), lambda g, x, p: g.copy()),
    "relu": (_relu_f, _relu_b),
    "relu6": (lambda x, p: np.clip(x, 0, 6), lambda g, x, p: g * ((x > 0) & (x < 6))),
    "leaky_relu": (lambda x, p: np.where(x > 0, x, p["negative_slope"] * x),
                   lambda g, x, p: g * np.where(x > 0, 1, p["negative_slope"]).astype(x.dtype)),
    "elu": (lambda x, p: np.where(x > 0, x, p["alpha"] * np.expm1(x)),
            lambda g, x, p: g * np.where(x > 0, 1, p["alpha"] * np.exp(x))),
    "selu": (lambda x, p: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
             lambda g, x, p: g * (1.0507009873554805 * np.where(x > 0, 1, 1.6732632423543772 * np.exp(x)))),
    "celu": (lambda x, p: np.maximum(x, 0) + np.minimum(0, p["alpha"] * np.expm1(x / p["alpha"])),
             lambda g, x, p: g * np.where(x > 0, 1, np.exp(x / p["alpha"]))),
    "sigmoid": (lambda x, p: _sig(x), lambda g, x, p: g * _sig(x) * (1 - _sig(x))),
    "log_sigmoid": (lambda x, p: -np.logaddexp(0, -x), lambda g, x, p: g / (1 + np.exp(x))),
    "hard_sigmoid": (lambda x, p: np.clip(p["slope"] * x + p["offset"], 0, 1),
                     lambda g, x, p: g * p["slope"] * ((p["slope"] * x + p["offset"] > 0)
                                                       & (p["slope"] * x + p["offset"] < 1))),
    "tanh": (lambda x, p: np.tanh(x), lambda g, x, p: g * (1 - np.tanh(x) ** 2)),
    "hard_tanh": (lambda x, p: np.clip(x, p["min_val"], p["max_val"]),
                  lambda g, x, p: g * ((x > p["min_val"]) & (x < p["max_val"]))),
    "softplus": (lambda x, p: np.where(p["beta"] * x > p["threshold"], x,
                                       np.logaddexp(0, p["beta"] * x) / p["beta"]),
                 lambda g, x, p: g * np.where(p["beta"] * x > p["threshold"], 1, _sig(p["beta"] * x))),
    "softsign": (lambda x, p: x / (1 + np.abs(x)), lambda g, x, p: g / (1 + np.abs(x)) ** 2),
    "swish": (lambda x, p: x * _sig(p["beta"] * x),
              lambda g, x, p: g * (_sig(p["beta"] * x) * (1 + p["beta"] * x * (1 - _sig(p["beta"] * x))))),
    "hard_swish": (lambda x, p: x * np.clip(x + 3, 0, 6) / 6,
                   lambda g, x, p: g * np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6))),
    "mish": (lambda x, p: x * np.tanh(np.logaddexp(0, x)),
             lambda g, x, p: g * (np.tanh(np.logaddexp(0, x))
                                  + x * _sig(x) * (1 - np.tanh(np.logaddexp(0, x)) ** 2))),
    "gelu": (lambda x, p: (0.5 * x * (1 + _erf(x / _SQRT2))) if p["approximate"] == "none"
             else 0.5 * x * (1 + _gelu_tanh(x)),
             lambda g, x, p: g * ((0.5 * (1 + _erf(x / _SQRT2)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
                                  if p["approximate"] == "none" else
                                  (0.5 * (1 + _gelu_tanh(x)) + 0.5 * x * (1 - _gelu_tanh(x) ** 2)
                                   * _GELU_K * (1 + 3 * 0.044715 * x * x)))),
    "exponential": (lambda x, p: np.exp(x), lambda g, x, p: g * np.exp(x)),
    "step": (lambda x, p: (x >= p["threshold"]).astype(x.dtype), lambda g, x, p: np.zeros_like(g)),
    "softshrink": (lambda x, p: np.where(x > p["lambd"], x - p["lambd"], np.where(x < -p["lambd"], x + p["lambd"], 0)),
                   lambda g, x, p: g * (np.abs(x) > p["lambd"])),
    "hardshrink": (lambda x, p: np.where(np.abs(x) > p["lambd"], x, 0),
                   lambda g, x, p: g * (np.abs(x) > p["lambd"])),
    "tanhshrink": (lambda x, p: x - np.tanh(x), lambda g, x, p: g * np.tanh(x) ** 2),
    "threshold": (lambda x, p: np.where(x > p["threshold"], x, p["value"]),
                  lambda g, x, p: g * (x > p["threshold"])),
    "squareplus": (lambda x, p: (x + np.sqrt(x * x + p["b"])) / 2,
                   lambda g, x, p: g * 0.5 * (1 + x / np.sqrt(x * x + p["b"]))),
    "softmax": (lambda x, p: _softmax(x, p["axis"]),
                lambda g, x, p: _softmax_b(g, _softmax(x, p["axis"]), p["axis"])),
    "log_softmax": (lambda x, p: _log_softmax(x, p["axis"]),
                    lambda g, x, p: g - np.exp(_log_softmax(x, p["axis"])) * g.sum(axis=p["axis"], keepdims=True)),
    "softmin": (lambda x, p: _softmax(-x, p["axis"]),
                lambda g, x, p: -_softmax_b(g, _softmax(-x, p["axis"]), p["axis"])),
    "glu": (lambda x, p: (lambda a, b: a * _sig(b))(*np.split(x, 2, axis=p["axis"])),
            lambda g, x, p: (lambda a, b: np.concatenate([g * _sig(b), g * a * _sig(b) * (1 - _sig(b))],
                                                         axis=p["axis"]))(*np.split(x, 2, axis=p["axis"]))),
    "maxout": (_maxout_f, _maxout_b),
    "prelu": (lambda x, p: np.where(x > 0, x, _channel(p.get("alpha", p.get("init")), x) * x),
              lambda g, x, p: g * np.where(x > 0, 1, _channel(p.get("alpha", p.get("init")), x))),
    "rrelu": (lambda x, p: np.where(x > 0, x, (p["lower"] + p["upper"]) / 2 * x),
              lambda g, x, p: g * np.where(x > 0, 1, (p["lower"] + p["upper"]) / 2).astype(x.dtype)),
    "srelu": (lambda x, p: (lambda tl, al, tr, ar: np.where(x <= tl, tl + al * (x - tl),
                                                             np.where(x >= tr, tr + ar * (x - tr), x)))(
        *(_channel(p[k], x) for k in ("t_left", "a_left", "t_right", "a_right"))),
        lambda g, x, p: (lambda tl, al, tr, ar: g * np.where(x <= tl, al, np.where(x >= tr, ar, 1)))(
        *(_channel(p[k], x) for k in ("t_left", "a_left", "t_right", "a_right")))),
    "apl": (lambda x, p: (lambda a, b: np.maximum(x, 0) + (a * np.maximum(0, -x[None] + b)).sum(0))(
        *_apl_terms(x, p)),
        lambda g, x, p: (lambda a, b: g * ((x > 0) - (a * (-x[None] + b > 0)).sum(0)))(*_apl_terms(x, p))),
}
"""The NumPy formula of each activation, written as a NumPy user would (a baseline,
not a reference: the tests have their own float64 references)."""


# --- measurement -----------------------------------------------------------------------------
@dataclass
class Timing:
    """One implementation and direction: median ns per element and GB/s."""

    ns_per_element: float
    gb_per_s: float


@dataclass
class Result:
    """One activation and direction, every implementation side by side."""

    name: str
    params: dict
    direction: str                         # "forward" | "backward"
    pyact: Timing
    numpy: Timing | None = None
    torch: Timing | None = None
    fraction_of_bandwidth: float = 0.0     # pyact GB/s / in-place streaming GB/s
    speedup_vs_numpy: float | None = None
    speedup_vs_torch: float | None = None


@dataclass
class Report:
    size: int
    dtype: str
    threads: int
    repeats: int
    isa: str
    bandwidth: dict                       # {"inplace_gb_per_s", "copy_gb_per_s"}
    torch_version: str | None
    results: list[Result] = field(default_factory=list)
    skipped: dict = field(default_factory=dict)   # name -> why

    def to_dict(self) -> dict:
        return asdict(self)


def _batch_time(fn: Callable[[], Any], reps: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(reps):
        fn()
    return (time.perf_counter_ns() - t0) / reps


def _calibrate(fn: Callable[[], Any], target_ns: float) -> int:
    """Calls per sample so that a sample lasts about ``target_ns`` (warms up too)."""
    once = _batch_time(fn, 1)
    once = min(once, _batch_time(fn, 1))
    return max(1, min(10_000, int(target_ns / max(once, 1.0))))


def _interleaved(fns: dict[str, Callable[[], Any]], repeats: int, target_ns: float) -> dict[str, float]:
    """Median ns per call of each function, measured round-robin."""
    reps = {k: _calibrate(f, target_ns) for k, f in fns.items()}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            samples[k].append(_batch_time(f, reps[k]))
    return {k: statistics.median(v) for k, v in samples.items()}


def _split_run(threads: int, n: int, work: Callable[[int, int], Any]) -> Callable[[], None]:
    """``work(begin, end)`` over ``range(n)`` in ``threads`` Python threads (NumPy releases
    the GIL on large ufunc loops), so the probe sees the same thread count as pyact."""
    if threads <= 1:
        return lambda: work(0, n)
    pool = ThreadPoolExecutor(threads)
    bounds = [(n * i // threads, n * (i + 1) // threads) for i in range(threads)]

    def run_all() -> None:
        for f in [pool.submit(work, b, e) for b, e in bounds]:
            f.result()
    run_all.pool = pool  # type: ignore[attr-defined]
    return run_all


def measure_bandwidth(size: int, dtype: Any = np.float32, threads: int = 1, repeats: int = 5,
                      target_ns: float = 2e6) -> dict:
    """Streaming bandwidth in GB/s (read + write) of an in-place multiply and of a copy,
    over the bytes of ``size`` elements of ``dtype`` with ``threads`` threads.

    The probe runs on float32 whatever the dtype: it measures the memory, and NumPy
    multiplies float16 one element at a time (0.8 GB/s, which made pyact's float16
    rows read 40x the bandwidth)."""
    size = max(1, size * np.dtype(dtype).itemsize // 4)
    a = np.ones(size, dtype=np.float32)
    b = np.empty_like(a)
    one = np.float32(1)
    mul = _split_run(threads, size, lambda s, e: np.multiply(a[s:e], one, out=a[s:e]))
    cpy = _split_run(threads, size, lambda s, e: np.copyto(b[s:e], a[s:e]))
    try:
        t = _interleaved({"inplace": mul, "copy": cpy}, repeats, target_ns)
    finally:
        for f in (mul, cpy):
            if hasattr(f, "pool"):
                f.pool.shutdown()
    nbytes = 2 * a.nbytes
    return {"inplace_gb_per_s": nbytes / t["inplace"], "copy_gb_per_s": nbytes / t["copy"]}


def example_params(spec) -> dict:
    """Parameters to run an activation with: its defaults, 0.0 for required ones."""
    if spec is None:
        return {}
    from ._catalog import REQUIRED
    return {q.name: 0.0 for q in spec.params if q.default is REQUIRED}


_RANDOM_ONLY = {"seed"}   # parameters that only pick random numbers: torch draws its own


def _torch_fns(name: str, spec, params: dict, x: np.ndarray, g: np.ndarray):
    """(forward, backward) closures for torch.nn.functional's equivalent, or None."""
    torch_name = getattr(spec, "torch", None)
    if torch_name is None:
        return None
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    fn = getattr(F, torch_name, None) or getattr(torch, torch_name, None)
    if fn is None:
        return None
    tx = torch.from_numpy(x)
    arrays = [torch.from_numpy(np.ascontiguousarray(v, dtype=x.dtype)) for v in params.values()
              if isinstance(v, np.ndarray)]
    kwargs = {k: v for k, v in params.items() if not isinstance(v, np.ndarray)}
    if "axis" in kwargs:
        kwargs["dim"] = kwargs.pop("axis")
    defaults = {("dim" if k == "axis" else k): v for k, v in spec.defaults.items()}
    try:
        accepted = set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):   # a builtin: pass only what differs from the defaults
        accepted = {k for k in kwargs if kwargs[k] != defaults.get(k)}
    if any(kwargs[k] != defaults.get(k) for k in kwargs if k not in accepted and k not in _RANDOM_ONLY):
        return None     # torch's function lacks a parameter set to a non-default value
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}

    def call(t):
        return fn(t, *arrays, **kwargs)
    try:
        y = call(tx)
    except (TypeError, RuntimeError):
        return None
    if tuple(y.shape) != g.shape:
        return None
    txg = tx.clone().requires_grad_(True)
    yg = call(txg)
    tg = torch.from_numpy(g)

    def forward():
        with torch.no_grad():
            return call(tx)

    def backward():
        return torch.autograd.grad(yg, txg, tg, retain_graph=True)
    return forward, backward


def bench_activation(name: str, params: dict | None = None, *, size: int = 1 << 20,
                     dtype: Any = np.float32, threads: int = 1, repeats: int = 5,
                     target_ns: float = 2e6, with_numpy: bool = True, with_torch: bool = True,
                     bandwidth: dict | None = None, seed: int = 0) -> list[Result]:
    """Forward and backward of one activation: pyact, NumPy and torch side by side.

    The input is a (size // 256, 256) array of normal values (scale 3), so per-channel
    parameters have 256 channels and axis functions 256-wide rows.
    """
    import pyact as pa
    from .registry import resolve, spec_of

    canon = resolve(name)
    spec = spec_of(canon)
    p = {**example_params(spec), **(params or {})}
    act = pa.get(canon, **p)
    rows = max(1, size // _COLS)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, _COLS)) * 3).astype(dtype)
    y = act(x)
    g = rng.standard_normal(y.shape).astype(y.dtype)
    yout, gout = np.empty_like(y), np.empty_like(x)
    full = act.params
    # Backward from y where the activation allows it, as a trainer calls it and as
    # torch's autograd does for those (sigmoid, tanh, softmax, ... keep their output).
    src = {"y": y} if act.y_ok else {"x": x}
    impls: dict[str, dict[str, Callable[[], Any]]] = {
        "pyact": {"forward": lambda: act(x, out=yout), "backward": lambda: act.backward(g, out=gout, **src)}}
    if with_numpy and canon in NUMPY:
        f, b = NUMPY[canon]
        try:
            with np.errstate(all="ignore"):
                if f(x, full).shape != y.shape or b(g, x, full).shape != x.shape:
                    raise ValueError("shape")
            impls["numpy"] = {"forward": lambda: _quiet(f, x, full), "backward": lambda: _quiet(b, g, x, full)}
        except (KeyError, ValueError, TypeError, IndexError):
            pass    # this parameter form has no NumPy formula here
    if with_torch and spec is not None:
        fns = _torch_fns(canon, spec, full, x, g)
        if fns is not None:
            impls["torch"] = {"forward": fns[0], "backward": fns[1]}

    torch_threads = None
    if "torch" in impls:
        import torch
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        with pa.threads(threads):
            med = _interleaved({f"{i}/{d}": fn for i, ds in impls.items() for d, fn in ds.items()},
                               repeats, target_ns)
    finally:
        if torch_threads is not None:
            import torch
            torch.set_num_threads(torch_threads)

    bw = (bandwidth or {}).get("inplace_gb_per_s")
    nbytes = {"forward": x.nbytes + y.nbytes, "backward": g.nbytes + x.nbytes + gout.nbytes}
    out = []
    shown = {k: v for k, v in p.items() if not isinstance(v, np.ndarray)}
    for d in ("forward", "backward"):
        t = {i: Timing(med[f"{i}/{d}"] / x.size, nbytes[d] / med[f"{i}/{d}"]) for i in impls}
        r = Result(canon, shown, d, t["pyact"], t.get("numpy"), t.get("torch"))
        r.fraction_of_bandwidth = t["pyact"].gb_per_s / bw if bw else 0.0
        if r.numpy:
            r.speedup_vs_numpy = r.numpy.ns_per_element / r.pyact.ns_per_element
        if r.torch:
            r.speedup_vs_torch = r.torch.ns_per_element / r.pyact.ns_per_element
        out.append(r)
    return out


def _quiet(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*args)


def run(names: list[tuple[str, dict]] | None = None, *, size: int = 1 << 20, dtype: Any = np.float32,
        threads: int | None = None, repeats: int = 5, target_ns: float = 2e6,
        with_torch: bool = True, progress: Callable[[int, int, str], None] | None = None) -> Report:
    """Benchmark ``names`` (pairs of name and parameters; default: every available
    activation at its defaults) and the memory bandwidth, in one run."""
    import pyact as pa

    if names is None:
        names = [(n, {}) for n in pa.available()]
    threads = pa.get_num_threads() if threads is None else int(threads)
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    dt = np.dtype(dtype)
    if dt not in (np.float16, np.float32, np.float64):
        raise TypeError(f"dtype must be float16, float32 or float64, got {dt}")
    size = max(_COLS, size // _COLS * _COLS)
    bw = measure_bandwidth(size, dt, threads, repeats, target_ns)
    try:
        import torch
        tv: str | None = torch.__version__
    except ImportError:
        tv = None
    rep = Report(size, dt.name, threads, repeats, pa.info()["isa"], bw, tv if with_torch else None)
    for i, (name, params) in enumerate(names):
        if progress:
            progress(i, len(names), name)
        try:
            rep.results += bench_activation(name, params, size=size, dtype=dt, threads=threads,
                                            repeats=repeats, target_ns=target_ns, with_torch=with_torch,
                                            bandwidth=bw)
        except ValueError as e:   # e.g. an axis function whose rows this size cannot split
            rep.skipped[name] = str(e)
    if progress:
        progress(len(names), len(names), "")
    return rep


def _fmt(v: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "—" if v is None else f"{v:{spec}}{suffix}"


def format_table(rep: Report) -> str:
    """The report as a plain-text table."""
    bw = rep.bandwidth
    head = (f"pyact bench: {rep.size:,} x {rep.dtype}, {rep.threads} thread(s), ISA {rep.isa}, "
            f"median of {rep.repeats}; streaming bandwidth {bw['inplace_gb_per_s']:.1f} GB/s in place, "
            f"{bw['copy_gb_per_s']:.1f} GB/s copy")
    # (torch_version is None both when torch is missing and when it was left out: --no-torch)
    torch_head = f"torch {rep.torch_version}" if rep.torch_version else "torch not run (not installed, or --no-torch)"
    cols = ["activation", "dir", "pyact ns/el", "GB/s", "%bw", "numpy ns/el", "x numpy",
            "torch ns/el", "x torch"]
    rows = []
    for r in rep.results:
        label = r.name + ("(" + ",".join(f"{k}={v}" for k, v in r.params.items()) + ")" if r.params else "")
        rows.append([label, "fwd" if r.direction == "forward" else "bwd",
                     _fmt(r.pyact.ns_per_element, ".3f"), _fmt(r.pyact.gb_per_s, ".1f"),
                     _fmt(100 * r.fraction_of_bandwidth, ".0f", "%"),
                     _fmt(r.numpy.ns_per_element if r.numpy else None, ".3f"),
                     _fmt(r.speedup_vs_numpy, ".1f", "x"),
                     _fmt(r.torch.ns_per_element if r.torch else None, ".3f"),
                     _fmt(r.speedup_vs_torch, ".2f", "x")])
    lines = [head, f"pyact writes into out=, its backward from y where the activation is y-ok; NumPy as a "
                   f"user writes it; {torch_head}. x numpy, x torch: how many times faster pyact is; %bw: "
                   "pyact's share of the bandwidth", ""]
    lines += _grid(cols, rows)
    for n, why in rep.skipped.items():
        lines.append(f"skipped {n}: {why}")
    return "\n".join(lines)


def _grid(cols: list[str], rows: list[list[str]]) -> list[str]:
    w = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    fmt = lambda r: "  ".join(s.ljust(w[0]) if i == 0 else s.rjust(w[i]) for i, s in enumerate(r))  # noqa: E731
    return [fmt(cols), "  ".join("-" * x for x in w), *map(fmt, rows)]
