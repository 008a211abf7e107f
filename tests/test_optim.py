"""The trainer's fused optimiser step (_core.adam_step / sgd_step, src/cpp/optim.cpp):
against a float64 NumPy reference of PyTorch's rules, against the NumPy optimiser the
trainer used before, against torch.optim on the same gradients when PyTorch is
installed, the same bits for any thread count, and the buffer checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyact as pa
from numpy_adam import adam_step
from pyact import _core


def _problem(n, dtype, seed=0, steps=5):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n).astype(dtype)
    grads = [(rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 1, n)).astype(dtype) for _ in range(steps)]
    return p, grads


def _adam_ref(p, grads, lr, b1, b2, eps, wd):
    """torch.optim.Adam's single-tensor rule in float64."""
    p = p.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = g.astype(np.float64)
        if wd:
            g = g + wd * p
        m = m + (1 - b1) * (g - m)
        v = v * b2 + (1 - b2) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
        p = p - lr / (1 - b1 ** t) * m / denom
    return p


def _adam_old_numpy(p, grads, lr, b1, b2, eps, wd):
    """The NumPy update pa.MLP ran before the fused step (in the parameter's dtype)."""
    p = p.copy()
    m, v, tmp = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)
    for t, g in enumerate(grads, 1):
        g = g.copy()
        if wd:
            g += np.multiply(p, wd)
        adam_step(p, g, m, v, tmp, t, lr, b1, b2, eps)
    return p


def _close(ours, ref, dtype, steps, update):
    """Each step rounds p (half an ulp of |p|) and its update (a few ulps of ``update``)."""
    eps = np.finfo(dtype).eps
    bound = steps * eps * np.abs(ref) + 8 * steps * eps * update
    bad = np.abs(ours.astype(np.float64) - ref) > bound
    assert not bad.any(), (f"{bad.sum()} elements off, worst {np.abs(ours - ref)[bad].max():.3g} "
                           f"against {bound[bad].min():.3g}")


def _adam_core(p, grads, lr, b1, b2, eps, wd):
    p = p.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        _core.adam_step(p, g, m, v, lr, b1, b2, eps, wd, t)
    return p


def _sgd_ref(p, grads, lr, mu, nesterov, wd):
    p = p.astype(np.float64)
    buf = None
    for g in grads:
        g = g.astype(np.float64)
        if wd:
            g = g + wd * p
        if mu:
            buf = g.copy() if buf is None else buf * mu + g
            g = g + mu * buf if nesterov else buf
        p = p - lr * g
    return p


def _sgd_core(p, grads, lr, mu, nesterov, wd):
    p = p.copy()
    buf = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        _core.sgd_step(p, g, buf if mu else None, lr, mu, nesterov, wd, t == 1)
    return p


ADAM_CASES = [dict(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0),
              dict(lr=5e-2, b1=0.8, b2=0.99, eps=1e-6, wd=0.01),
              dict(lr=1e-2, b1=0.3, b2=0.9, eps=1e-8, wd=0.0)]  # beta1 < 0.5: lerp's other form
SGD_CASES = [dict(lr=0.05, mu=0.0, nesterov=False, wd=0.0), dict(lr=0.05, mu=0.9, nesterov=False, wd=0.0),
             dict(lr=0.01, mu=0.9, nesterov=True, wd=1e-3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_float64_reference(dtype, kw):
    p, grads = _problem(1000, dtype)
    ours = _adam_core(p, grads, **kw)
    ref = _adam_ref(p, grads, **kw)
    assert ours.dtype == dtype
    _close(ours, ref, dtype, len(grads), kw["lr"])  # an Adam step moves p by about lr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_the_previous_numpy_optimiser(dtype, kw):
    p, grads = _problem(1000, dtype, seed=1)
    ours, old = _adam_core(p, grads, **kw), _adam_old_numpy(p, grads, **kw)
    _close(ours, old.astype(np.float64), dtype, 2 * len(grads), kw["lr"])  # both rounded


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_float64_reference(dtype, kw):
    p, grads = _problem(1000, dtype, seed=2)
    ours, ref = _sgd_core(p, grads, **kw), _sgd_ref(p, grads, **kw)
    # the update is lr * (a sum of up to 2 * steps gradients)
    update = kw["lr"] * (1 + kw["mu"]) * np.abs(np.array(grads, np.float64)).sum(axis=0)
    _close(ours, ref, dtype, 2 * len(grads), update)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_torch(dtype, kw):
    torch = pytest.importorskip("torch")
    p, grads = _problem(4096, getattr(np, dtype), seed=3)
    tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
    opt = torch.optim.Adam([tp], lr=kw["lr"], betas=(kw["b1"], kw["b2"]), eps=kw["eps"], weight_decay=kw["wd"])
    for g in grads:
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
    ours = _adam_core(p, grads, **kw)
    theirs = tp.detach().numpy()
    if dtype == "float64":
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-16)
    else:  # PyTorch's vectorised lerp and add-with-alpha use FMA: roundings apart
        _close(ours, theirs.astype(np.float64), np.float32, 2 * len(grads), kw["lr"])
        assert np.mean(ours == theirs) > 0.5  # mostly the same bits


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_torch(dtype, kw):
    torch = pytest.importorskip("torch")
    p, grads = _problem(4096, getattr(np, dtype), seed=4)
    tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
    opt = torch.optim.SGD([tp], lr=kw["lr"], momentum=kw["mu"], nesterov=kw["nesterov"], weight_decay=kw["wd"])
    for g in grads:
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
    ours, theirs = _sgd_core(p, grads, **kw), tp.detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-14 if dtype == "float64" else 1e-6,
                               atol=1e-14 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_bits_for_any_thread_count(dtype):
    p, grads = _problem(100_003, dtype, seed=5)  # odd size: pieces end mid-vector
    results = []
    try:
        for threads, grain in ((1, 0), (2, 1000), (3, 16)):
            _core._set_grain(grain)
            with pa.threads(threads):
                results.append((_adam_core(p, grads, 1e-3, 0.9, 0.999, 1e-8, 0.01),
                                _sgd_core(p, grads, 0.01, 0.9, True, 0.01)))
    finally:
        _core._set_grain(0)
    for adam, sgd in results[1:]:
        np.testing.assert_array_equal(adam, results[0][0])
        np.testing.assert_array_equal(sgd, results[0][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_squared_norms_from_the_same_pass(dtype, optimizer):
    rng = np.random.default_rng(6)
    n = 300_001
    g = (rng.standard_normal(n) * 3).astype(dtype)
    bounds = np.array([0, 7, 7, 4096, 4097, 200_000, n])  # empty, block-sized and odd pieces
    ref = [math.fsum(np.square(g[a:b].astype(np.float64))) for a, b in zip(bounds[:-1], bounds[1:])]
    outs = []
    try:
        for threads, grain in ((1, 0), (2, 1000), (3, 16)):
            _core._set_grain(grain)
            with pa.threads(threads):
                p, m, v = rng.standard_normal(n).astype(dtype), np.zeros(n, dtype), np.zeros(n, dtype)
                p0, sq = p.copy(), np.full(len(bounds) - 1, np.nan)
                if optimizer == "adam":
                    _core.adam_step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1, bounds, sq)
                    _core.adam_step(p0, g, m * 0, v * 0, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1)
                else:
                    _core.sgd_step(p, g, m, 0.1, 0.9, False, 0.01, True, bounds, sq)
                    _core.sgd_step(p0, g, v, 0.1, 0.9, False, 0.01, True)
                np.testing.assert_array_equal(p, p0)  # the same update with or without
                outs.append(sq)
    finally:
        _core._set_grain(0)
    np.testing.assert_allclose(outs[0], ref, rtol=1e-13)
    for sq in outs[1:]:
        np.testing.assert_array_equal(sq, outs[0])  # the same bits for any thread count


def test_norm_argument_checks():
    p = np.zeros(10, np.float32)
    g, m, v = np.ones_like(p), np.zeros_like(p), np.zeros_like(p)
    args = (p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    for bounds, sq, err in ((np.array([0, 10]), None, ValueError), (np.array([0, 9]), np.zeros(1), ValueError),
                            (np.array([0, 6, 4, 10]), np.zeros(3), ValueError),
                            (np.array([1, 10]), np.zeros(1), ValueError),
                            (np.array([0, 10]), np.zeros(2), ValueError),
                            (np.array([0, 10]), np.zeros(1, np.float32), TypeError)):
        with pytest.raises(err):
            _core.adam_step(*args, bounds, sq)
    sq = np.zeros(2)
    _core.adam_step(*args, [0, 3, 10], sq)  # any integer sequence for the bounds
    np.testing.assert_array_equal(sq, [3.0, 7.0])


def test_buffer_checks():
    p = np.zeros(10, np.float32)
    g, m, v = np.ones_like(p), np.zeros_like(p), np.zeros_like(p)
    with pytest.raises(TypeError):
        _core.adam_step(p, g.astype(np.float64), m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    with pytest.raises(TypeError):
        _core.adam_step(p.astype(np.float16), g.astype(np.float16), m.astype(np.float16), v.astype(np.float16),
                        1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    with pytest.raises(ValueError):
        _core.adam_step(p, g[:5], m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    with pytest.raises(ValueError):
        _core.adam_step(np.zeros(20, np.float32)[::2], g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    with pytest.raises(ValueError):
        _core.adam_step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 0)
    ro = np.zeros_like(p)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        _core.adam_step(ro, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
    with pytest.raises(ValueError):
        _core.sgd_step(p, g, None, 0.1, 0.9, False, 0.0, True)
    _core.sgd_step(p, g, None, 0.1, 0.0, False, 0.0, True)  # no buffer without momentum
    np.testing.assert_array_equal(p, np.full(10, -0.1, np.float32))
    # a read-only gradient is fine (only read)
    g.flags.writeable = False
    _core.adam_step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1)
