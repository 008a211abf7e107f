"""pa.MLP (SPEC §8): full-network gradients against central differences for every
activation of the catalog, against PyTorch autograd when installed, optimiser steps
against PyTorch, determinism, history diagnostics, estimator protocol, persistence, and
the digits accuracy of issue 6."""
from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pyact as pa
from conftest import catalog, example_params


def _one_blas_thread():
    """BLAS on one thread where threadpoolctl can say so: tiny matmuls are faster, and
    the weights do not depend on how BLAS splits them."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _act(spec):
    return pa.get(spec.name, **example_params(spec))


def _sklearn():
    """sklearn.exceptions, or None where scikit-learn is not installed."""
    try:
        from sklearn import exceptions
    except ImportError:
        return None
    return exceptions


def _same_weights(a: pa.MLP, b: pa.MLP) -> None:
    for k, (u, v) in enumerate(zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)):
        np.testing.assert_array_equal(u, v, err_msg=f"array {k}")


def _fresh(model: pa.MLP, X, y) -> pa.MLP:
    """The model built (weights initialised, nothing trained) for X, y."""
    model.set_params(epochs=0).fit(X, y)
    return model


def _loss(model, X, T) -> float:
    logits = model._forward(X, model._buffers_for(len(X)))
    return model._loss_grad(logits, T, grad=False)[0]


def _numeric_grads(model, X, T, h=1e-6):
    grads = []
    for p in model._params:
        g = np.empty(p.shape)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + h
            up = _loss(model, X, T)
            flat[i] = keep - h
            down = _loss(model, X, T)
            flat[i] = keep
            gflat[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def _check_gradients(model, X, y, rtol=1e-5, atol=1e-7):
    _fresh(model, X, y)
    T = model._encode(y)
    model._batch(X.astype(np.float64), T)
    analytic = [g.copy() for g in model._grads]
    numeric = _numeric_grads(model, X.astype(np.float64), T)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"parameter {k}")


def _tiny_problem(seed=0, n=9, n_in=3, classes=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)) * 1.5, np.arange(n) % classes


@pytest.mark.parametrize("spec", catalog(), ids=lambda a: a.name)
def test_gradients_match_central_differences(spec):
    X, y = _tiny_problem()
    model = pa.MLP(hidden=(4, 3), activation=_act(spec), dtype="float64", seed=3)
    _check_gradients(model, X, y)


@pytest.mark.parametrize("output,loss", [("softmax", "auto"), ("sigmoid", "binary_cross_entropy"),
                                         ("auto", "mse"), ("sigmoid", "auto")])
def test_gradients_of_every_output(output, loss):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 4))
    y = {"softmax": np.arange(8) % 3, "sigmoid": np.arange(8) % 2}.get(output, rng.standard_normal((8, 2)))
    if loss == "auto" and output == "sigmoid":
        y = (rng.uniform(size=(8, 3)) > 0.5).astype(int)  # multi-label
    model = pa.MLP(hidden=(5,), activation="softsign", output=output, loss=loss, dtype="float64")
    _check_gradients(model, X, y)


def test_gradients_with_mixed_layers_and_no_hidden_layer():
    X, y = _tiny_problem(2)
    _check_gradients(pa.MLP(hidden=(4, 3, 2), activation=["relu", "hardshrink", "squareplus"],
                            dtype="float64"), X, y)
    _check_gradients(pa.MLP(hidden=(), dtype="float64"), X, y)


class ToyPReLU(pa.Activation):
    """A learnable activation written only against the Activation API (as the learnable
    family's classes are): alpha per feature."""

    learnable = ("alpha",)

    def __init__(self, alpha):
        super().__init__(alpha=np.array(alpha, dtype=np.float64))

    name = "toy_prelu"
    y_ok = False

    def _forward(self, x, out):
        r = np.where(x > 0, x, self._params["alpha"] * x)
        if out is None:
            return r
        np.copyto(out, r)
        return out

    def _backward(self, g, x, from_y, out):
        a = self._params["alpha"]
        self.grads = {"alpha": (g * np.where(x > 0, 0.0, x)).reshape(-1, a.size).sum(axis=0).reshape(a.shape)}
        r = g * np.where(x > 0, 1.0, a)
        if out is None:
            return r
        np.copyto(out, r)
        return out


def test_learnable_activation_parameters_get_gradients_and_train():
    X, y = _tiny_problem(4)
    model = pa.MLP(hidden=(4,), activation=ToyPReLU([0.3, -0.2, 0.1, 0.5]), dtype="float64")
    _check_gradients(model, X, y)  # alpha is one of model._params, so it is checked too
    model = pa.MLP(hidden=(4,), activation=ToyPReLU([0.25] * 4), dtype="float64", epochs=5, lr=0.05)
    model.fit(X, y)
    assert not np.allclose(model.activations_[0].params["alpha"], 0.25)


@pytest.mark.parametrize("spec", [a for a in catalog("learnable")], ids=lambda a: a.name)
def test_learnable_catalog_entries(spec):
    act = pa.get(spec.name)
    if "training" in act.params:  # every learnable class has train(); only rrelu draws
        pytest.skip("stochastic in training mode: no finite differences")
    X, y = _tiny_problem(5)
    _check_gradients(pa.MLP(hidden=(4,), activation=act, dtype="float64"), X, y)


# --- against PyTorch ------------------------------------------------------------------------
def _torch_forward(torch, model, X, acts):
    F = torch.nn.functional
    h = torch.as_tensor(X)
    Ws = [torch.tensor(W, requires_grad=True) for W in model.coefs_]
    bs = [torch.tensor(b, requires_grad=True) for b in model.intercepts_]
    for l, spec in enumerate(acts):
        h = getattr(F, spec.torch)(h @ Ws[l] + bs[l], **example_params(spec))
    return h @ Ws[-1] + bs[-1], Ws, bs


@pytest.mark.parametrize("spec", [a for a in catalog() if a.torch], ids=lambda a: a.name)
def test_gradients_match_torch_autograd(spec):
    torch = pytest.importorskip("torch")
    X, y = _tiny_problem(6, n=16, n_in=5, classes=4)
    model = _fresh(pa.MLP(hidden=(6, 5), activation=_act(spec), dtype="float64", seed=2), X, y)
    model._batch(X, model._encode(y))
    logits, Ws, bs = _torch_forward(torch, model, X, [spec, spec])
    torch.nn.functional.cross_entropy(logits, torch.as_tensor(y)).backward()
    for k, t in enumerate(p for pair in zip(Ws, bs) for p in pair):
        # rtol 1e-7, not 1e-12: PyTorch's hardsigmoid backward uses a float32 1/6.
        np.testing.assert_allclose(model._grad_views[k], t.grad.numpy(), rtol=1e-7, atol=1e-13, err_msg=f"param {k}")


@pytest.mark.parametrize("optimizer,kw", [
    ("adam", dict(weight_decay=0.01)),
    ("sgd", dict(momentum=0.9, nesterov=True, weight_decay=0.001, grad_clip=0.5)),
    ("sgd", dict(momentum=0.0)),
    ("adam", dict(grad_clip=0.1, betas=(0.8, 0.99), eps=1e-6)),
])
def test_optimiser_steps_match_torch(optimizer, kw):
    torch = pytest.importorskip("torch")
    X, y = _tiny_problem(7, n=12, n_in=4)
    common = dict(hidden=(6,), activation="relu", optimizer=optimizer, lr=0.05, dtype="float64",
                  batch_size=12, shuffle=False, seed=5, **kw)
    start = _fresh(pa.MLP(**common), X, y)
    logits_fn = lambda: _torch_forward(torch, start, X, [pa.get("relu").spec])  # noqa: E731
    _, Ws, bs = logits_fn()
    params = [p for pair in zip(Ws, bs) for p in pair]
    decayed = [{"params": Ws, "weight_decay": kw.get("weight_decay", 0.0)}, {"params": bs, "weight_decay": 0.0}]
    if optimizer == "adam":
        opt = torch.optim.Adam(decayed, lr=0.05, betas=kw.get("betas", (0.9, 0.999)), eps=kw.get("eps", 1e-8))
    else:
        opt = torch.optim.SGD(decayed, lr=0.05, momentum=kw["momentum"], nesterov=kw.get("nesterov", False))
    for _ in range(4):
        opt.zero_grad()
        h = torch.relu(torch.as_tensor(X) @ Ws[0] + bs[0])
        torch.nn.functional.cross_entropy(h @ Ws[1] + bs[1], torch.as_tensor(y)).backward()
        if kw.get("grad_clip"):
            torch.nn.utils.clip_grad_norm_(params, kw["grad_clip"])
        opt.step()
    trained = pa.MLP(**{**common, "epochs": 4})
    trained.fit(X, y)
    for k, (ours, theirs) in enumerate(zip([p for pair in zip(trained.coefs_, trained.intercepts_) for p in pair],
                                           params)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=f"param {k}")


# --- training behaviour ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_norm_history_read_in_the_optimiser_pass(dtype):
    # Without grad_clip the step reads the norms in its own pass; with a clip that never
    # bites they come from a separate pass first: the same weights, the same norms.
    X, y = _tiny_problem(3, n=200, n_in=6)
    kw = dict(hidden=(40, 9), epochs=3, batch_size=32, dtype=dtype, weight_decay=0.01)
    fused, separate = pa.MLP(**kw), pa.MLP(**kw, grad_clip=1e30)
    hf, hs = fused.fit(X, y), separate.fit(X, y)
    for a, b in zip(fused.coefs_ + fused.intercepts_, separate.coefs_ + separate.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(hf.grad_norm, hs.grad_norm, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_same_seed_same_weights_for_any_thread_count():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 40)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    runs = []
    with _one_blas_thread():
        for n in (1, 2, 3):
            with pa.threads(n):  # (300, 512) layers: the fused kernels do split across threads
                m = pa.MLP(hidden=(512, 16), activation="relu", batch_size=300, epochs=2, seed=11)
                m.fit(X, y)
                runs.append(m)
    for m in runs[1:]:
        for a, b in zip(runs[0].coefs_ + runs[0].intercepts_, m.coefs_ + m.intercepts_):
            np.testing.assert_array_equal(a, b)
    other = pa.MLP(hidden=(512, 16), activation="relu", batch_size=300, epochs=2, seed=12).fit(X, y)
    assert other["loss"] != runs[0].history_["loss"]


def test_history_and_dead_units():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, (64, 5))
    y = np.arange(64) % 2
    Xv, yv = X[:16], y[:16]
    model = pa.MLP(hidden=(8, 4), epochs=3, batch_size=16)
    h = model.fit(X, y, validation_data=(Xv, yv))
    assert h is model.history_ and h.epochs == 3
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "dead_fraction", "grad_norm"}
    assert all(len(v) == 3 for v in h.values())
    assert all(len(d) == 2 and len(g) == 2 for d, g in zip(h.dead_fraction, h.grad_norm))
    assert all(0 <= a <= 1 for a in h.accuracy) and all(s > 0 for s in h.seconds)
    np.testing.assert_allclose(h.val_loss[-1], _val_loss(model, Xv, yv), rtol=1e-5)
    # negative weights on positive inputs: every relu unit of the first layer is dead,
    # so no gradient reaches its weights.
    dead = pa.MLP(hidden=(8, 4), epochs=2, batch_size=16,
                  init=lambda i, o, r: -np.abs(r.standard_normal((i, o))))
    hd = dead.fit(X, y)
    assert hd.dead_fraction[-1][0] == 1.0 and hd.grad_norm[-1][0] == 0.0
    assert h.dead_fraction[-1][0] < 1.0 and h.grad_norm[-1][0] > 0.0


def _val_loss(model, X, y):
    p = model.predict_proba(X).astype(np.float64)
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def test_outputs_and_predictions():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((200, 3))
    labels = np.array(["cat", "dog", "emu"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    m = pa.MLP(hidden=(16,), epochs=40, lr=0.01)
    m.fit(X, labels)
    assert m.out_kind_ == "softmax" and list(m.classes_) == ["cat", "dog", "emu"]
    p = m.predict_proba(X)
    assert p.shape == (200, 3) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert m.score(X, labels) > 0.9 and m.predict(X).dtype.kind == "U"
    binary = pa.MLP(hidden=(16,), epochs=30, lr=0.01).fit(X, X[:, 0] > 0)
    assert binary is not None
    mb = pa.MLP(hidden=(16,), epochs=30, lr=0.01)
    mb.fit(X, (X[:, 0] > 0).astype(int) * 5)
    assert mb.out_kind_ == "sigmoid" and mb.predict_proba(X).shape == (200, 2)
    assert set(mb.predict(X)) <= {0, 5} and mb.score(X, (X[:, 0] > 0) * 5) > 0.9
    reg = pa.MLP(hidden=(32,), epochs=60, lr=0.01, activation="softsign")
    reg.fit(X, X[:, 0] * 2 - X[:, 1])
    assert reg.out_kind_ == "linear" and reg.predict(X).shape == (200,)
    assert reg.score(X, X[:, 0] * 2 - X[:, 1]) > 0.9
    with pytest.raises(AttributeError, match="classifier"):
        reg.predict_proba(X)


def test_errors():
    X, y = _tiny_problem()
    with pytest.raises(pa.mlp.NotFittedError if _sklearn() is None else _sklearn().NotFittedError,
                       match="not fitted"):
        pa.MLP().predict(X)
    for bad in (dict(optimizer="rmsprop"), dict(lr=0), dict(batch_size=0), dict(dtype="float16"),
                dict(output="softmax", loss="mse"), dict(init="orthogonal"), dict(nesterov=True, momentum=0),
                dict(hidden=(4, 0)), dict(activation=["relu"])):
        with pytest.raises(ValueError):
            pa.MLP(**bad).fit(X, y)
    with pytest.raises(KeyError):
        pa.MLP(activation="nope").fit(X, y)
    m = pa.MLP(hidden=(3,), epochs=1).fit(X, y)
    assert m
    fitted = pa.MLP(hidden=(3,), epochs=1)
    fitted.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :2])
    with pytest.raises(ValueError, match="invalid parameter"):
        fitted.set_params(hiden=3)


def test_save_and_load(tmp_path):
    X, y = _tiny_problem(3, n=40, n_in=4)
    for act in ("relu", pa.get("leaky_relu", negative_slope=0.2), ["softsign", "hard_tanh"],
                ToyPReLU([0.1, 0.2, 0.3])):
        hidden = (3, 3) if isinstance(act, list) else (3,)
        m = pa.MLP(hidden=hidden, activation=act, epochs=3, dtype="float64")
        if isinstance(act, ToyPReLU):
            continue  # a class outside the catalog cannot be rebuilt by name
        m.fit(X, y)
        path = tmp_path / "m.npz"
        m.save(path)
        back = pa.MLP.load(path)
        np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))
        assert back.get_params()["hidden"] == hidden and back.score(X, y) == m.score(X, y)
        assert repr(back.activations_[0]) == repr(m.activations_[0])
    (tmp_path / "other.npz").write_bytes(b"")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a pyact MLP"):
        pa.MLP.load(tmp_path / "other.npz")


def test_estimator_protocol_without_sklearn():
    m = pa.MLP(hidden=(5,), lr=0.01)
    p = m.get_params()
    assert p["hidden"] == (5,) and p["lr"] == 0.01 and p["activation"] == "relu"
    assert m.set_params(lr=0.1, epochs=2) is m and m.lr == 0.1
    assert pa.MLP(**p).get_params() == p
    c = copy.deepcopy(m)
    assert c.get_params() == m.get_params()
    assert "lr=0.1" in repr(m)


def test_sklearn_pipeline_and_cross_val_score():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    assert sklearn
    X, y = pa.datasets.breast_cancer()
    est = pa.MLP(hidden=(16,), epochs=5, lr=0.01)
    assert is_classifier(est) and clone(est).get_params() == est.get_params()
    with _one_blas_thread():
        pipe = make_pipeline(StandardScaler(), est).fit(X, y)
        assert pipe.score(X, y) > 0.9
        scores = cross_val_score(make_pipeline(pa.datasets.Standardizer(), pa.MLP(hidden=(16,), epochs=5, lr=0.01)),
                                 X, y, cv=3)
    assert len(scores) == 3 and scores.min() > 0.85
    assert not is_classifier(pa.MLP(loss="mse"))


def test_verbose_progress(capsys):
    X, y = _tiny_problem()
    pa.MLP(hidden=(3,), epochs=2, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss" in err


# --- the digits benchmark of issue 6 ---------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "gelu", "tanh", "swish"])
def test_digits_accuracy(activation):
    if activation not in pa.available():
        pytest.skip(f"{activation} is not in this build's catalog yet")
    X, y = pa.datasets.digits()
    scores = []
    with _one_blas_thread():
        for seed in range(3):
            Xtr, Xte, ytr, yte = pa.datasets.train_test_split(X, y, 0.25, seed=seed)
            m = pa.MLP(hidden=(128, 64), activation=activation, optimizer="adam", lr=1e-3, batch_size=64,
                       epochs=30, seed=seed)
            # standardised with a scale of std + 1 pixel count, so that rarely-lit
            # pixels are not blown up into noise
            Xtr, Xte = pa.datasets.standardize(Xtr, Xte, eps=1.0)
            m.fit(Xtr, ytr)
            scores.append(m.score(Xte, yte))
    assert np.mean(scores) >= 0.975, scores


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_optimiser_pieces_on_threads_change_no_bit(optimizer):
    from pyact import _core
    X, y = _tiny_problem(8, n=64, n_in=5)
    kw = dict(hidden=(32,), epochs=3, batch_size=16, optimizer=optimizer, nesterov=optimizer == "sgd",
              weight_decay=0.01)
    with pa.threads(1):
        whole = pa.MLP(**kw)
        whole.fit(X, y)
    _core._set_grain(8)  # every parameter split into pieces on threads
    try:
        with pa.threads(3):
            pieces = pa.MLP(**kw)
            pieces.fit(X, y)
    finally:
        _core._set_grain(0)
    for a, b in zip(whole.coefs_ + whole.intercepts_, pieces.coefs_ + pieces.intercepts_):
        np.testing.assert_array_equal(a, b)


# --- layers that change the width (maxout, glu) ----------------------------------------------
def _maxout(z, k):
    return z.reshape(len(z), -1, k).max(axis=2)


def _glu(z):
    a, b = np.split(z, 2, axis=1)
    return a / (1 + np.exp(-b))


WIDTH_CASES = [("maxout", {}, lambda z: _maxout(z, 2), (6, 4)),
               ("maxout", {"pieces": 3}, lambda z: _maxout(z, 3), (6, 3)),
               ("glu", {}, _glu, (6, 4))]


@pytest.mark.parametrize("name,params,ref,hidden", WIDTH_CASES, ids=["maxout", "maxout3", "glu"])
def test_width_changing_activations(name, params, ref, hidden):
    X, y = _tiny_problem(12, n=10, n_in=3)
    model = pa.MLP(hidden=hidden, activation=pa.get(name, **params), dtype="float64", seed=4)
    _check_gradients(model, X, y)
    # ``hidden`` is each layer's matmul width; the activation's output feeds the next layer
    k = hidden[0] // ref(np.zeros((1, hidden[0]))).shape[1]
    assert [W.shape for W in model.coefs_] == [(3, hidden[0]), (hidden[0] // k, hidden[1]), (hidden[1] // k, 3)]
    assert [b.shape for b in model.intercepts_] == [(hidden[0],), (hidden[1],), (3,)]
    # the forward against NumPy
    a = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        a = ref(a @ W + b)
    logits = a @ model.coefs_[-1] + model.intercepts_[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(X), p / p.sum(axis=1, keepdims=True), rtol=1e-12)


def test_width_changing_activations_mixed_with_others_and_by_name():
    X, y = _tiny_problem(13, n=8, n_in=4)
    _check_gradients(pa.MLP(hidden=(6, 4, 4), activation=["glu", "tanh", "maxout"], dtype="float64"), X, y)
    h = pa.MLP(hidden=(8, 6), activation="maxout", epochs=2, batch_size=4).fit(X, y)
    # per hidden layer, per pre-activation unit
    assert all(len(d) == 2 and len(g) == 2 for d, g in zip(h.dead_fraction, h.grad_norm))
    with pytest.raises(ValueError, match=r"hidden layer 1 has 5 units.*pieces=2"):
        pa.MLP(hidden=(6, 5), activation="maxout").fit(X, y)
    with pytest.raises(ValueError, match="hidden layer 0"):
        pa.MLP(hidden=(5,), activation="glu").fit(X, y)


@pytest.mark.parametrize("activation", ["maxout", "glu"])
def test_width_changing_activations_learn_spirals(activation):
    X, y = pa.datasets.spirals()
    Xtr, Xte, ytr, yte = pa.datasets.train_test_split(X, y, 0.25, seed=0)
    Xtr, Xte = pa.datasets.standardize(Xtr, Xte)
    with _one_blas_thread():
        m = pa.MLP(hidden=(32, 32), activation=activation, epochs=40, lr=1e-2, seed=0)
        m.fit(Xtr, ytr)
    assert m.score(Xte, yte) >= 0.95


# --- pickle, copy.deepcopy, joblib -------------------------------------------------------------
def _pickle_cases():
    return ["gelu", "maxout", "rrelu", pa.get("swish", learnable=True, num_parameters=4), pa.get("prelu")]


@pytest.mark.parametrize("act", _pickle_cases(), ids=lambda a: a if isinstance(a, str) else repr(a)[:20])
def test_pickle_and_deepcopy_round_trip(act):
    X, y = _tiny_problem(14, n=48, n_in=4)
    m = pa.MLP(hidden=(4, 4), activation=act, epochs=3, batch_size=16)
    m.fit(X, y)
    copies = [pickle.loads(pickle.dumps(m)), copy.deepcopy(m)]
    try:
        import joblib
    except ImportError:
        pass
    else:
        f = io.BytesIO()
        joblib.dump(m, f)
        f.seek(0)
        copies.append(joblib.load(f))
    assert not {"_epilogues", "_buffers", "_flat", "_state", "_segments", "_alive"} & set(m.__getstate__())
    for back in copies:
        np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))
        np.testing.assert_array_equal(back.predict(X), m.predict(X))
        assert back.score(X, y) == m.score(X, y) and back.history_ == m.history_
        _same_weights(back, m)
    # and each copy trains again as a fresh model of the same parameters does
    fresh = pa.MLP(**m.get_params())
    fresh.fit(X, y)
    for back in copies:
        back.fit(X, y)
        _same_weights(back, fresh)
    assert pickle.loads(pickle.dumps(pa.MLP(hidden=(3,)))).get_params() == pa.MLP(hidden=(3,)).get_params()


# --- save and load ------------------------------------------------------------------------------
def _save_cases():
    cases = [pytest.param(_act(spec), id=spec.name) for spec in catalog(None)]
    cases += [pytest.param(pa.get("swish", learnable=True), id="swish-learnable"),
              pytest.param(pa.get("swish", learnable=True, num_parameters=4), id="swish-learnable-4"),
              pytest.param(pa.get("prelu", num_parameters=4, init=0.1), id="prelu-4"),
              pytest.param(pa.get("apl", num_parameters=4, hinges=3), id="apl-4"),
              pytest.param("rrelu", id="rrelu-by-name"),
              pytest.param("user", id="registered")]
    return cases


@pytest.mark.parametrize("act", _save_cases())
def test_save_and_load_every_activation(act, tmp_path):
    X, y = _tiny_problem(15, n=40, n_in=4)
    registered = act == "user"
    if registered:
        pa.register("mlp_test_cube", lambda x: x ** 3 / 3 + x, lambda g, x, y: g * (x * x + 1), overwrite=True)
        act = "mlp_test_cube"
    try:
        m = pa.MLP(hidden=(4, 4), activation=act, epochs=3, batch_size=8, dtype="float64")
        m.fit(X, y)
        m.save(tmp_path / "m.npz")
        back = pa.MLP.load(tmp_path / "m.npz")
        np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))
        for a, b in zip(m.activations_, back.activations_, strict=True):
            assert type(a) is type(b) and a.name == b.name and a == b, (a, b)
        back.fit(X, y)  # and it trains again
    finally:
        if registered:
            from pyact import registry
            registry._USER.pop("mlp_test_cube", None)


def test_save_writes_exactly_the_path_given(tmp_path):
    X, y = _tiny_problem(16, n=30, n_in=4)
    m = pa.MLP(hidden=(3,), epochs=2)
    m.fit(X, y)
    path = tmp_path / "model.bin"
    m.save(str(path))
    assert path.exists() and not (tmp_path / "model.bin.npz").exists()
    np.testing.assert_array_equal(pa.MLP.load(str(path)).predict_proba(X), m.predict_proba(X))
    f = io.BytesIO()
    m.save(f)
    f.seek(0)
    np.testing.assert_array_equal(pa.MLP.load(f).predict_proba(X), m.predict_proba(X))


# --- seeds and modes of a stochastic activation (rrelu) -----------------------------------------
def test_stochastic_activation_by_name_is_seeded_by_the_mlp():
    X, y = _tiny_problem(17, n=64, n_in=5)
    kw = dict(hidden=(16, 8), activation="rrelu", epochs=2, batch_size=16, dtype="float64")
    before = np.random.get_state()
    a, b, other = pa.MLP(**kw, seed=7), pa.MLP(**kw, seed=7), pa.MLP(**kw, seed=8)
    for m in (a, b, other):
        m.fit(X, y)
    _same_weights(a, b)
    assert not np.array_equal(a.coefs_[0], other.coefs_[0])
    seeds = [act.seed for act in a.activations_]
    assert seeds == [act.seed for act in b.activations_] and len(set(seeds)) == 2
    after = np.random.get_state()
    assert before[2] == after[2] and np.array_equal(before[1], after[1])  # NumPy's global generator untouched
    # the initial weights are drawn as for any rectifier: He-normal, then Glorot-uniform
    init = _fresh(pa.MLP(hidden=(16, 8), activation="rrelu", dtype="float64", seed=7), X, y)
    rng = np.random.default_rng(7)
    expected = [rng.standard_normal((5, 16)) * math.sqrt(2 / 5), rng.standard_normal((16, 8)) * math.sqrt(2 / 16),
                rng.uniform(-1, 1, (8, 3)) * math.sqrt(6 / 11)]
    for W, E in zip(init.coefs_, expected, strict=True):
        np.testing.assert_array_equal(W, E)
    # an object keeps its own seed
    mine = pa.MLP(hidden=(4, 4), activation=pa.get("rrelu", seed=123), epochs=1)
    mine.fit(X, y)
    assert [act.seed for act in mine.activations_] == [123, 123]


def test_validation_runs_in_eval_mode():
    X, y = _tiny_problem(18, n=96, n_in=5)
    Xv, yv = _tiny_problem(19, n=30, n_in=5)
    kw = dict(hidden=(16,), activation="rrelu", epochs=3, batch_size=32, seed=3, dtype="float64")
    plain, watched = pa.MLP(**kw), pa.MLP(**kw)
    plain.fit(X, y)
    h = watched.fit(X, y, validation_data=(Xv, yv))
    _same_weights(plain, watched)
    # the last epoch's validation loss: the final weights with eval-mode slopes
    # (lower + upper) / 2, computed here
    z = Xv @ watched.coefs_[0] + watched.intercepts_[0]
    a = np.where(z > 0, z, (1 / 8 + 1 / 3) / 2 * z)
    logits = a @ watched.coefs_[1] + watched.intercepts_[1]
    logp = logits - logits.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(h.val_loss[-1], -logp[np.arange(len(yv)), yv].mean(), rtol=1e-12)


# --- input checks (as scikit-learn's) -------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises(bad):
    X, y = _tiny_problem(20, n=20, n_in=3)
    Xb = X.copy()
    Xb[2, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        pa.MLP(hidden=(3,), epochs=1).fit(Xb, y)
    m = pa.MLP(hidden=(3,), epochs=1)
    m.fit(X, y)
    for call in (m.predict, m.predict_proba, lambda A: m.score(A, y)):
        with pytest.raises(ValueError, match="X contains NaN or infinity"):
            call(Xb)
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        pa.MLP(hidden=(3,), epochs=1).fit(X, y, validation_data=(Xb, y))
    yr = X[:, 0].copy()
    yr[3] = bad
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        pa.MLP(hidden=(3,), epochs=1).fit(X, yr)
    big = X.copy()
    big[0, 0] = 1e39  # finite in float64, inf in the model's float32
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        pa.MLP(hidden=(3,), epochs=1).fit(big, y)


def test_not_fitted_error():
    X, y = _tiny_problem()
    sk = _sklearn()
    for call in (lambda m: m.predict(X), lambda m: m.predict_proba(X), lambda m: m.score(X, y),
                 lambda m: m.save(io.BytesIO())):
        with pytest.raises(ValueError, match="not fitted") as e:
            call(pa.MLP())
        assert isinstance(e.value, AttributeError)
        if sk is not None:
            assert isinstance(e.value, sk.NotFittedError)
        else:
            assert isinstance(e.value, pa.mlp.NotFittedError)


def test_importing_pyact_does_not_import_sklearn():
    code = "import sys, pyact, pyact.mlp; print('sklearn' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(pa.__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", [np.float64, np.dtype("float64"), "float64", np.float32])
def test_dtype_as_numpy_type(dtype, tmp_path):
    X, y = _tiny_problem(21, n=20, n_in=3)
    m = pa.MLP(hidden=(3,), epochs=1, dtype=dtype)
    m.fit(X, y)
    assert all(W.dtype == np.dtype(dtype) for W in m.coefs_ + m.intercepts_)
    m.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(pa.MLP.load(tmp_path / "m.npz").predict_proba(X), m.predict_proba(X))


def test_clear_errors_for_bad_arguments():
    X, y = _tiny_problem(22, n=20, n_in=3)
    with pytest.raises(ValueError, match="requires y to be passed"):
        pa.MLP(hidden=(3,)).fit(X, None)
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        pa.MLP(hidden=(3,)).fit(X[:, :0], y)
    for bad in ("64", None, 2.5):
        with pytest.raises(ValueError, match="hidden must be an int or a sequence of ints"):
            pa.MLP(hidden=bad).fit(X, y)
    for bad in (None, "float16", "nope", np.int32):
        with pytest.raises(ValueError, match="dtype"):
            pa.MLP(dtype=bad).fit(X, y)


def test_column_vector_y_is_raveled_with_a_warning():
    # scikit-learn's MLPClassifier and MLPRegressor both ravel a (n, 1) y with a
    # DataConversionWarning (a UserWarning) and then predict shape (n,)
    X, y = _tiny_problem(23, n=30, n_in=3)
    kw = dict(hidden=(4,), epochs=2, batch_size=10)
    flat = pa.MLP(**kw)
    flat.fit(X, y)
    col = pa.MLP(**kw)
    with pytest.warns(UserWarning, match="column-vector y"):
        col.fit(X, y[:, None], validation_data=(X, y[:, None]))
    _same_weights(col, flat)
    assert col.predict(X).shape == (30,) and col.predict_proba(X).shape == (30, 3)
    assert col.score(X, y[:, None]) == flat.score(X, y)
    binary = pa.MLP(**kw)
    with pytest.warns(UserWarning, match="column-vector y"):
        binary.fit(X, (y == 1)[:, None].astype(int))
    assert binary.predict(X).shape == (30,) and binary.predict_proba(X).shape == (30, 2)
    target = X @ [1.0, -2.0, 0.5]
    reg_flat, reg_col = pa.MLP(**kw), pa.MLP(**kw)
    reg_flat.fit(X, target)
    with pytest.warns(UserWarning, match="column-vector y"):
        reg_col.fit(X, target[:, None])
    _same_weights(reg_col, reg_flat)
    assert reg_col.predict(X).shape == (30,)
    two = pa.MLP(**kw)
    two.fit(X, np.column_stack([target, -target]))  # a real 2-d target stays 2-d
    assert two.predict(X).shape == (30, 2)
