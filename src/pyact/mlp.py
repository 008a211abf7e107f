"""An MLP trainer without autograd (SPEC §8, DESIGN.md §7).

Every layer's forward sits beside its backward, written out by hand:

    hidden l:  z = a @ W + b,  a' = f(z)           -> bias_act (one fused pass)
               d_z = f'(z) * d_a',  db = sum(d_z)  -> bias_act_grad (one fused pass)
               dW = a.T @ d_z,  d_a = d_z @ W.T    -> NumPy matmul (BLAS)
    output:    softmax + cross-entropy, sigmoid + binary cross-entropy or linear + MSE,
               fused so that d_logits = (p - target) / batch

Where an activation is y-ok (SPEC §4) its forward runs in place on the matmul output
and its backward reads y; otherwise the pre-activation is kept beside y. Buffers are
allocated once per batch shape. Learnable activations (``act.learnable``) are trained
by the same optimiser through the Activation API (``act.backward`` fills ``act.grads``).

The estimator follows scikit-learn's conventions (hyper-parameters in ``__init__``,
``get_params``/``set_params``, ``fit``/``predict``/``predict_proba``/``score``), so it
works inside a ``Pipeline`` and ``cross_val_score`` when scikit-learn is installed; it
does not need scikit-learn. ``fit`` returns a :class:`History`.
"""
from __future__ import annotations

import copy
import inspect
import json
import math
import sys
import time
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from . import _core
from .activations import Activation
from .fused import Epilogue
from .registry import get, spec_of

__all__ = ["MLP", "History", "INIT_FOR", "NotFittedError"]

OUTPUT_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "linear": "mse"}
LOSS_OUTPUT = {v: k for k, v in OUTPUT_LOSS.items()}

INIT_FOR: dict[str, str] = {
    "selu": "lecun_normal",          # self-normalising: LeCun (Klambauer et al., 2017)
    **{n: "glorot_uniform" for n in ("linear", "tanh", "sigmoid", "softsign", "hard_tanh",
                                     "hard_sigmoid", "log_sigmoid", "tanhshrink")},
}
"""``init="auto"``: the initialisation of a hidden layer by its activation's name.
Names not listed (the rectifier family: relu, leaky_relu, elu, gelu, swish, mish, prelu,
…) get He-normal; the output layer gets Glorot-uniform."""

_INITS: dict[str, Callable[[int, int, np.random.Generator], np.ndarray]] = {
    "he_normal": lambda i, o, r: r.standard_normal((i, o)) * math.sqrt(2.0 / i),
    "he_uniform": lambda i, o, r: r.uniform(-1.0, 1.0, (i, o)) * math.sqrt(6.0 / i),
    "glorot_normal": lambda i, o, r: r.standard_normal((i, o)) * math.sqrt(2.0 / (i + o)),
    "glorot_uniform": lambda i, o, r: r.uniform(-1.0, 1.0, (i, o)) * math.sqrt(6.0 / (i + o)),
    "lecun_normal": lambda i, o, r: r.standard_normal((i, o)) * math.sqrt(1.0 / i),
    "lecun_uniform": lambda i, o, r: r.uniform(-1.0, 1.0, (i, o)) * math.sqrt(3.0 / i),
}
_INIT_ALIASES = {"he": "he_normal", "glorot": "glorot_uniform", "xavier": "glorot_uniform",
                 "lecun": "lecun_normal"}


class NotFittedError(ValueError, AttributeError):
    """``predict``/``score``/``save`` before ``fit``. What is raised is
    scikit-learn's ``sklearn.exceptions.NotFittedError`` where scikit-learn is installed
    (so its idioms catch it), else this class; both are ValueError and AttributeError."""


def _sklearn_class(name: str, fallback: type) -> type:
    """scikit-learn's exception or warning class ``name`` where it is installed, else
    ``fallback``. Imported here, on an error or warning path only: pyact never needs it."""
    try:
        from sklearn import exceptions
    except ImportError:
        return fallback
    return getattr(exceptions, name, fallback)


def _layer_seed(seed: Any, layer: int) -> int | None:
    """The seed of a stochastic hidden activation given by name (one with a ``seed``
    parameter, e.g. rrelu): derived from the MLP's seed and the layer, never drawn from
    the initialisation's generator, so that no other activation's weights change. None
    (the activation draws its own) when the MLP's seed is not an integer."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        return None
    return int(np.random.SeedSequence(int(seed), spawn_key=(layer,)).generate_state(1, np.uint64)[0])


def _column_or_1d(y: np.ndarray) -> np.ndarray:
    """A (n, 1) y as (n,), warning as scikit-learn's MLPs do (its DataConversionWarning
    where installed)."""
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                      "of y to (n_samples,), for example using ravel().",
                      _sklearn_class("DataConversionWarning", UserWarning), stacklevel=4)
        return y.ravel()
    return y


def _check_finite(a: np.ndarray, what: str) -> None:
    # as scikit-learn: a NaN would otherwise train to NaN weights or predict class 0
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        raise ValueError(f"MLP: {what} contains NaN or infinity (or a value too large for {a.dtype})")


class History(dict):
    """Per-epoch training record, a dict of lists (also readable as attributes):

    ``loss``, ``accuracy`` (classifiers), ``val_loss``, ``val_accuracy`` (with
    ``validation_data``), ``seconds``, ``dead_fraction`` and ``grad_norm`` (one list
    per epoch with one entry per hidden layer).

    ``dead_fraction``: the fraction of the layer's units whose gradient f'(z)·g was
    exactly 0 for every training sample of the epoch — units that could not learn
    (for relu: never active). ``grad_norm``: the mean over the epoch's batches of the
    L2 norm of the layer's (weights, bias) gradient.
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def epochs(self) -> int:
        return len(self.get("loss", []))


class _Printer:
    """Progress on stderr: one line per epoch, redrawn as batches finish (at most ten
    times a second), then the epoch's numbers."""

    def __init__(self, epochs: int, batches: int) -> None:
        self.epochs, self.batches, self.last = epochs, batches, 0.0

    def batch(self, epoch: int, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.1 and done < self.batches:
            return
        self.last = now
        width = 24
        fill = width * done // max(1, self.batches)
        bar = "=" * fill + (">" if fill < width else "") + " " * (width - fill - 1)
        sys.stderr.write(f"\repoch {epoch + 1}/{self.epochs} [{bar[:width]}] {done}/{self.batches}")
        sys.stderr.flush()

    def epoch(self, epoch: int, record: dict) -> None:
        parts = [f"{k} {v:.4f}" for k, v in record.items() if k != "seconds" and v is not None]
        sys.stderr.write(f"\repoch {epoch + 1}/{self.epochs}  " + "  ".join(parts)
                         + f"  {record['seconds']:.2f}s" + " " * 12 + "\n")
        sys.stderr.flush()


def _positive_int(name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"MLP: {name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _positive_float(name: str, v: Any, allow_zero: bool = False) -> float:
    ok = isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"MLP: {name} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {v!r}")
    return float(v)


class _Buffers:
    """Everything one batch size needs, allocated once: per hidden layer the output y,
    the matmul output z (which then keeps f'(x) or the pre-activation where backward
    cannot run from y), dL/dy and dL/dz (one buffer, in place, unless the activation
    changes the width, as maxout and glu do); the logits."""

    def __init__(self, batch: int, n_in: int, hidden: Sequence[int], widths: Sequence[int], n_out: int,
                 keep_pre: list[bool], dtype: np.dtype) -> None:
        self.y = [np.empty((batch, o), dtype) for o in widths]
        self.z = [np.empty((batch, h), dtype) if k or h != o else y
                  for h, o, k, y in zip(hidden, widths, keep_pre, self.y)]
        self.dy = [np.empty((batch, o), dtype) for o in widths]
        self.dz = [d if h == o else np.empty((batch, h), dtype) for h, o, d in zip(hidden, widths, self.dy)]
        self.x = np.empty((batch, n_in), dtype)
        self.logits = np.empty((batch, n_out), dtype)


class MLP:
    """A multi-layer perceptron trained without autograd.

    Parameters
    ----------
    hidden : int or tuple of int
        Units per hidden layer: the width of its matmul output (the pre-activation).
        An activation that changes the width (maxout: / pieces, glu: / 2) hands the
        next layer its own output width; maxout needs a width divisible by ``pieces``.
    activation : str, Activation, or a sequence of them (one per hidden layer)
        Hidden activation; any name of ``pyact.available()`` (learnable ones train
        their parameters too). An object is copied per layer. A stochastic activation
        given by name (rrelu) gets a seed derived from ``seed`` and the layer; an
        object keeps its own.
    output : {"auto", "softmax", "sigmoid", "linear"}
        Output layer; "auto": from ``loss``, else from the targets (integer or string
        labels: softmax for > 2 classes, sigmoid for 2; a 0/1 matrix: sigmoid per
        column; real values: linear).
    loss : {"auto", "cross_entropy", "binary_cross_entropy", "mse"}
        Paired with the output (softmax + cross-entropy, sigmoid + binary
        cross-entropy, linear + mean squared error); "auto": from ``output``.
    optimizer : {"adam", "sgd"}
        Adam, or SGD with ``momentum`` (and ``nesterov``); PyTorch's update rules.
    lr : float
        Learning rate.
    batch_size : int
        Samples per step (the last batch of an epoch may be smaller).
    epochs : int
        Passes over the training data.
    init : str or callable
        "auto" (by activation, see :data:`INIT_FOR`), "he", "glorot", "lecun" (or
        their ``_normal``/``_uniform`` forms) for every layer, or
        ``init(fan_in, fan_out, rng) -> array``.
    weight_decay : float
        L2 penalty added to the weight gradients (as PyTorch's ``weight_decay``;
        biases and activation parameters are not decayed).
    grad_clip : float or None
        Rescale the gradients when their global L2 norm exceeds this.
    dtype : {"float32", "float64"} or the NumPy dtype
        Parameters and arithmetic.
    seed : int
        Initialisation and shuffling; the same seed and data give identical weights,
        whatever pyact's thread count.
    momentum, nesterov : float, bool
        SGD only; momentum 0.9 by default, as scikit-learn's MLPClassifier (PyTorch's
        SGD defaults to 0).
    betas, eps : (float, float), float
        Adam only.
    shuffle : bool
        Reshuffle the training data each epoch.
    verbose : bool
        Progress bar and per-epoch numbers on stderr.

    ``fit`` raises ``ValueError`` for NaN or infinity in X or in real-valued y, and
    ``predict``/``predict_proba``/``score`` for NaN or infinity in X; before ``fit``
    they raise :class:`NotFittedError` (scikit-learn's where it is installed).

    A fitted model pickles (``pickle``, ``copy.deepcopy``, joblib) without its buffers.

    Attributes (after ``fit``)
    --------------------------
    coefs_, intercepts_ : lists of ndarray
        Weights (fan_in, fan_out) and biases per layer.
    activations_ : list of Activation
        The hidden layers' activation objects (with trained parameters).
    classes_ : ndarray
        Class labels (classifiers).
    history_ : History
        As returned by ``fit``.
    """

    def __init__(self, hidden: Sequence[int] = (128, 64), activation: Any = "relu", output: str = "auto",
                 loss: str = "auto", optimizer: str = "adam", lr: float = 1e-3, batch_size: int = 64,
                 epochs: int = 20, init: Any = "auto", weight_decay: float = 0.0, grad_clip: float | None = None,
                 dtype: str = "float32", seed: int = 0, momentum: float = 0.9, nesterov: bool = False,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, shuffle: bool = True,
                 verbose: bool = False) -> None:
        self.hidden = hidden
        self.activation = activation
        self.output = output
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.init = init
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.dtype = dtype
        self.seed = seed
        self.momentum = momentum
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.shuffle = shuffle
        self.verbose = verbose

    # --- scikit-learn estimator protocol ---------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's hyper-parameters (scikit-learn convention)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> "MLP":
        """Set hyper-parameters; unknown names raise ``ValueError``. Returns self."""
        valid = self._param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"MLP: invalid parameter {k!r}; valid parameters: {', '.join(valid)}")
            setattr(self, k, v)
        return self

    @property
    def _estimator_type(self) -> str:
        return "regressor" if "linear" in (self.output, LOSS_OUTPUT.get(self.loss)) else "classifier"

    def __sklearn_tags__(self):  # only ever called by scikit-learn, so it is importable
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
        kind = self._estimator_type
        return Tags(estimator_type=kind, target_tags=TargetTags(required=True), transformer_tags=None,
                    classifier_tags=ClassifierTags() if kind == "classifier" else None,
                    regressor_tags=RegressorTags() if kind == "regressor" else None)

    def __repr__(self) -> str:
        defaults = MLP().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"MLP({', '.join(changed)})"

    # --- pickle / copy.deepcopy / joblib ------------------------------------------------
    # What predict, score, save and a new fit need; everything else (epilogues, whose
    # C++ kernels do not pickle, buffers, optimiser state, the flat parameter buffer
    # and its views, alive masks) is derived, dropped here and rebuilt by _bind or fit.
    _PICKLED = ("_hidden", "_dtype", "_y_1d", "_multilabel")

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_") or k in self._PICKLED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if hasattr(self, "coefs_"):
            self._bind()

    # --- configuration -----------------------------------------------------------------
    def _check_params(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)):
            hidden = (hidden,)
        try:
            if isinstance(hidden, (str, bytes)):  # a str is a sequence too: "64" would read as (6, 4)
                raise TypeError
            hidden = tuple(hidden)
        except TypeError:
            raise ValueError(f"MLP: hidden must be an int or a sequence of ints (units per hidden layer), "
                             f"got {self.hidden!r}") from None
        self._hidden = tuple(_positive_int("hidden units", h) for h in hidden)
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"MLP: optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        _positive_float("lr", self.lr)
        _positive_int("batch_size", self.batch_size)
        _positive_int("epochs", self.epochs, 0)
        _positive_float("weight_decay", self.weight_decay, allow_zero=True)
        if self.grad_clip is not None:
            _positive_float("grad_clip", self.grad_clip)
        try:  # "float64", np.float64 or np.dtype("float64"); not None (np.dtype's float64)
            self._dtype = None if self.dtype is None else np.dtype(self.dtype)
        except TypeError:
            self._dtype = None
        if self._dtype not in (np.float32, np.float64):
            raise ValueError(f"MLP: dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"MLP: momentum must be in [0, 1), got {self.momentum!r}")
        if self.nesterov and self.momentum == 0:
            raise ValueError("MLP: nesterov=True needs momentum > 0")
        b1, b2 = self.betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"MLP: betas must be in [0, 1), got {self.betas!r}")
        _positive_float("eps", self.eps)
        if not (self.init == "auto" or callable(self.init) or _INIT_ALIASES.get(self.init, self.init) in _INITS):
            raise ValueError(f"MLP: init must be 'auto', a callable or one of "
                             f"{', '.join(sorted({*_INITS, *_INIT_ALIASES}))}; got {self.init!r}")
        if self.output not in ("auto", *OUTPUT_LOSS):
            raise ValueError(f"MLP: output must be one of 'auto', {', '.join(map(repr, OUTPUT_LOSS))}; "
                             f"got {self.output!r}")
        if self.loss not in ("auto", *LOSS_OUTPUT):
            raise ValueError(f"MLP: loss must be one of 'auto', {', '.join(map(repr, LOSS_OUTPUT))}; "
                             f"got {self.loss!r}")
        if self.output != "auto" and self.loss != "auto" and OUTPUT_LOSS[self.output] != self.loss:
            raise ValueError(f"MLP: output={self.output!r} goes with loss={OUTPUT_LOSS[self.output]!r}, "
                             f"not {self.loss!r}")

    def _make_activations(self) -> list[Activation]:
        spec = self.activation
        n = len(self._hidden)
        if isinstance(spec, (str, Activation)):
            spec = [spec] * n
        spec = list(spec)
        if len(spec) != n:
            raise ValueError(f"MLP: {len(spec)} activations given for {n} hidden layers")
        return [copy.deepcopy(a) if isinstance(a, Activation) else self._named_activation(a, l)
                for l, a in enumerate(spec)]

    def _named_activation(self, name: str, layer: int) -> Activation:
        # A stochastic one (a seed parameter) would draw its seed from NumPy's global
        # generator: the same MLP seed would not give the same weights (SPEC §8).
        spec = spec_of(name) if isinstance(name, str) else None
        if spec is not None and any(q.name == "seed" for q in spec.params):
            return get(name, seed=_layer_seed(self.seed, layer))
        return get(name)

    def _init_name(self, act: Activation | None) -> Any:
        if self.init != "auto":
            return self.init if callable(self.init) else _INIT_ALIASES.get(self.init, self.init)
        return "glorot_uniform" if act is None else INIT_FOR.get(act.name, "he_normal")

    # --- targets -------------------------------------------------------------------------
    def _output_kind(self, y: np.ndarray) -> str:
        if self.output != "auto":
            return self.output
        if self.loss != "auto":
            return LOSS_OUTPUT[self.loss]
        if y.dtype.kind in "fc" and not np.all(np.isfinite(y) & (y == np.round(y))):
            return "linear"
        if y.ndim == 2:
            return "sigmoid" if np.isin(y, (0, 1)).all() else "linear"
        return "softmax" if len(np.unique(y)) > 2 else "sigmoid"

    def _setup_targets(self, y: np.ndarray) -> None:
        kind = self._output_kind(y)
        self.out_kind_ = kind
        self._y_1d = y.ndim == 1
        self._multilabel = kind == "sigmoid" and y.ndim == 2
        if y.ndim not in (1, 2):
            raise ValueError(f"MLP: y must be 1-d (labels or values) or 2-d, got shape {y.shape}")
        if kind == "linear":
            self.classes_ = None
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        elif self._multilabel:
            if not np.isin(y, (0, 1)).all():
                raise ValueError("MLP: a 2-d y with a sigmoid output must hold only 0 and 1")
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_ = y.shape[1]
        else:
            if y.ndim != 1:
                raise ValueError(f"MLP: class labels must be 1-d, got shape {y.shape}")
            classes = np.unique(y)
            self.classes_ = classes.astype(str) if classes.dtype == object else classes
            if len(classes) < 2:
                raise ValueError(f"MLP: y has {len(classes)} class; a classifier needs at least 2")
            if kind == "sigmoid" and len(classes) > 2:
                raise ValueError(f"MLP: a sigmoid output takes 2 classes, got {len(classes)}; use softmax")
            self.n_outputs_ = len(classes) if kind == "softmax" else 1

    def _encode(self, y: Any) -> np.ndarray:
        """Targets as the loss reads them: class indices (softmax), 0/1 floats
        (sigmoid) or values (linear), float in the model's dtype."""
        y = np.asarray(y)
        kind = self.out_kind_
        if kind == "linear":
            t = y.astype(self._dtype).reshape(len(y), -1)
            if t.shape[1] != self.n_outputs_:
                raise ValueError(f"MLP: y has {t.shape[1]} outputs, the model {self.n_outputs_}")
            return t
        if self._multilabel:
            return y.astype(self._dtype).reshape(len(y), self.n_outputs_)
        if y.dtype == object:
            y = y.astype(str)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[idx], y):
            unknown = np.setdiff1d(y, self.classes_)
            raise ValueError(f"MLP: y holds labels not seen in fit: {unknown[:5].tolist()}")
        return idx.astype(np.intp) if kind == "softmax" else idx.astype(self._dtype).reshape(-1, 1)

    def _as_input(self, X: Any) -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"MLP: X must hold numbers, got dtype {X.dtype}")
        if X.ndim != 2:
            raise ValueError(f"MLP: X must be 2-d (samples, features), got shape {X.shape}. Reshape your data: "
                             "X.reshape(-1, 1) for one feature, X.reshape(1, -1) for one sample")
        if X.shape[1] == 0:
            # scikit-learn's words
            raise ValueError(f"MLP: Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
        if hasattr(self, "n_features_in_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"MLP: X has {X.shape[1]} features, the model was fit on {self.n_features_in_}")
        with np.errstate(over="ignore"):  # 1e39 is inf in float32: the check says so
            X = np.ascontiguousarray(X, dtype=self._dtype)
        _check_finite(X, "X")
        return X

    @staticmethod
    def _as_target(y: Any) -> np.ndarray:
        y = _column_or_1d(np.asarray(y))
        if y.ndim == 0:
            raise ValueError(f"MLP: y must be 1-d (labels or values) or 2-d, got a scalar {y!r}")
        _check_finite(y, "y")
        return y

    # --- the network -----------------------------------------------------------------------
    def _out_width(self, l: int, act: Activation) -> int:
        """The width of hidden layer l's output: its pre-activation width unless the
        activation changes it (maxout, glu), read from the activation itself on a row
        of zeros (a copy: a stochastic one's random stream stays untouched)."""
        h = self._hidden[l]
        try:
            y = copy.deepcopy(act)(np.zeros((1, h), self._dtype))
        except ValueError as e:
            raise ValueError(f"MLP: hidden layer {l} has {h} units, which {act!r} cannot take: {e}") from None
        if y.ndim != 2 or y.shape[0] != 1:
            raise ValueError(f"MLP: {act!r} of hidden layer {l} turns a (1, {h}) batch into shape {y.shape}")
        return y.shape[1]

    def _build(self, n_in: int, rng: np.random.Generator) -> None:
        self.activations_ = self._make_activations()
        widths = [self._out_width(l, a) for l, a in enumerate(self.activations_)]
        # Layer l maps its fan-in (the previous layer's output width) to its own
        # pre-activation width.
        fan_in, fan_out = [n_in, *widths], [*self._hidden, self.n_outputs_]
        # One flat buffer holds every weight, then every bias (the layers' arrays are
        # views of it), so one fused optimiser call updates the weights (decayed) and one
        # the biases (not decayed).
        n_layers = len(fan_out)
        shapes = [(i, o) for i, o in zip(fan_in, fan_out)] + [(o,) for o in fan_out]
        self._flat = np.zeros(sum(math.prod(s) for s in shapes), self._dtype)
        views = _views(self._flat, shapes)
        self.coefs_, self.intercepts_ = views[:n_layers], views[n_layers:]
        for l, W in enumerate(self.coefs_):
            act = self.activations_[l] if l < len(self._hidden) else None
            init = self._init_name(act)
            fn = init if callable(init) else _INITS[init]
            w = np.asarray(fn(*W.shape, rng))
            if w.shape != W.shape:
                raise ValueError(f"MLP: init returned shape {w.shape}, expected {W.shape}")
            W[...] = w
        self._bind()

    def _bind(self) -> None:
        """Epilogues, the output width and the backward mode of every hidden layer
        (all derived from the weights and activations: fit, load and unpickling)."""
        self._widths = [W.shape[0] for W in self.coefs_[1:]]
        self._epilogues = [Epilogue(a) for a in self.activations_]
        # From y where the activation allows it and has no parameter that needs x.
        # What each layer's backward reads: y where the activation allows it and has no
        # parameter that needs x; else f'(x) where the C++ forward computes it alongside
        # (gelu, swish: the two share their exponential, and the backward is g * f');
        # else x itself.
        self._source = ["y" if ep.y_ok and not a.learnable else "d" if ep.keeps_deriv else "x"
                        for ep, a in zip(self._epilogues, self.activations_)]
        self._buffers: dict[int, _Buffers] = {}

    def _buffers_for(self, batch: int) -> _Buffers:
        buf = self._buffers.get(batch)
        if buf is None:
            buf = self._buffers[batch] = _Buffers(batch, self.n_features_in_, self._hidden, self._widths,
                                                  self.n_outputs_, [s != "y" for s in self._source], self._dtype)
        return buf

    def _forward(self, X: np.ndarray, buf: _Buffers) -> np.ndarray:
        """Logits of the batch X; fills buf.y (and buf.z with f'(x) or x where backward
        cannot run from y)."""
        a = X
        for l, ep in enumerate(self._epilogues):
            z, y = buf.z[l], buf.y[l]
            np.matmul(a, self.coefs_[l], out=z)
            if self._source[l] == "y":
                ep.forward(z, self.intercepts_[l], out=y)   # y is z: in place
            else:
                ep.forward(z, self.intercepts_[l], out=y, pre=z, deriv=self._source[l] == "d")
            a = y
        np.matmul(a, self.coefs_[-1], out=buf.logits)
        buf.logits += self.intercepts_[-1]
        return buf.logits

    def _predict_logits(self, X: np.ndarray, chunk: int = 4096) -> np.ndarray:
        out = np.empty((len(X), self.n_outputs_), self._dtype)
        for s in range(0, len(X), chunk):
            a = X[s:s + chunk]
            for l, ep in enumerate(self._epilogues):
                z = a @ self.coefs_[l]
                o = self._widths[l]
                a = ep.forward(z, self.intercepts_[l], out=z if o == z.shape[1] else np.empty((len(z), o), z.dtype))
            np.matmul(a, self.coefs_[-1], out=out[s:s + chunk])
        out += self.intercepts_[-1]
        return out

    def _loss_grad(self, logits: np.ndarray, t: np.ndarray, grad: bool) -> tuple[float, int]:
        """Mean loss of the batch and its number of correct predictions; with ``grad``
        the logits are overwritten by dL/dlogits = (p - target) / batch."""
        n = len(logits)
        kind = self.out_kind_
        if kind == "softmax":
            shifted = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(shifted)
            s = p.sum(axis=1, keepdims=True)
            rows = np.arange(n)
            loss = float(np.mean(np.log(s[:, 0]) - shifted[rows, t], dtype=np.float64))
            correct = int(np.count_nonzero(p.argmax(axis=1) == t))
            if grad:
                np.divide(p, s, out=logits)
                logits[rows, t] -= 1
                logits /= n
            return loss, correct
        if kind == "sigmoid":
            softplus = np.logaddexp(0, -logits)  # -log(sigmoid(z))
            loss = float(np.mean(softplus + (1 - t) * logits, dtype=np.float64))
            hit = (logits > 0) == (t > 0.5)
            correct = int(np.count_nonzero(hit.all(axis=1)))
            if grad:
                p = np.exp(-softplus)
                np.subtract(p, t, out=logits)
                logits /= logits.size
            return loss, correct
        diff = logits - t
        loss = float(np.mean(np.square(diff), dtype=np.float64))
        if grad:
            np.multiply(diff, 2.0 / diff.size, out=logits)
        return loss, 0

    def _backward(self, X: np.ndarray, buf: _Buffers, G: np.ndarray) -> None:
        """Gradients of every parameter into self._grads, from G = dL/dlogits."""
        L = len(self._epilogues)
        gW, gb = self._gW, self._gb
        a_prev = buf.y[-1] if L else X
        np.matmul(a_prev.T, G, out=gW[L])
        G.sum(axis=0, out=gb[L])
        d = G
        W_next = self.coefs_[L]
        for l in range(L - 1, -1, -1):
            dy, dz = buf.dy[l], buf.dz[l]   # one buffer where the activation keeps the width
            np.matmul(d, W_next.T, out=dy)
            xy = buf.y[l] if self._source[l] == "y" else buf.z[l]
            self._epilogues[l].backward(dy, xy, self._source[l], dz, gb[l])
            self._mark_alive(l, dz)
            a_prev = buf.y[l - 1] if l else X
            np.matmul(a_prev.T, dz, out=gW[l])
            for name, g in zip(self.activations_[l].learnable, self._act_grad_slots[l]):
                np.copyto(g, self.activations_[l].grads[name], casting="unsafe")
            d, W_next = dz, self.coefs_[l]

    def _reset_alive(self) -> None:
        self._alive = [np.zeros(h, bool) for h in self._hidden]
        self._dead = [np.arange(h) for h in self._hidden]  # units not seen active yet

    def _mark_alive(self, l: int, d: np.ndarray) -> None:
        """Units of layer l with a nonzero delta in this batch are alive this epoch.
        Only the columns not seen alive yet are looked at: after the first batches
        that is usually none (nothing to do) or the few dead units."""
        dead = self._dead[l]
        if not dead.size:
            return
        if dead.size == d.shape[1]:
            hit = d.any(axis=0)
        else:
            hit = d[:, dead].any(axis=0)
        self._alive[l][dead[hit]] = True
        self._dead[l] = dead[~hit]

    def _batch(self, X: np.ndarray, T: np.ndarray, buf: _Buffers | None = None) -> tuple[float, int]:
        """Forward, loss and backward of one batch: every gradient lands in
        self._grads. Returns the batch's mean loss and number of correct predictions."""
        buf = buf if buf is not None else self._buffers_for(len(X))
        logits = self._forward(X, buf)
        loss, correct = self._loss_grad(logits, T, grad=True)
        self._backward(X, buf, logits)
        return loss, correct

    # --- optimiser -------------------------------------------------------------------------
    def _setup_optimizer(self) -> None:
        flat_grad = np.zeros_like(self._flat)
        L = len(self.coefs_)
        views = _views(flat_grad, [W.shape for W in self.coefs_] + [b.shape for b in self.intercepts_])
        self._gW, self._gb = views[:L], views[L:]
        # per layer: dW, db, ...; then the activations' parameter gradients
        self._grad_views = [g for pair in zip(self._gW, self._gb) for g in pair]
        params, grads = [self._flat], [flat_grad]
        self._act_grad_slots = []
        for act in self.activations_:
            slots = []
            for name in act.learnable:
                p = act.params[name]
                if (not isinstance(p, np.ndarray) or not p.flags.writeable or not p.flags.c_contiguous
                        or p.dtype not in (np.float32, np.float64)):
                    raise TypeError(f"MLP: learnable parameter {name!r} of {act!r} must be a writeable, "
                                    "C-contiguous float32 or float64 ndarray (it is updated in place)")
                slots.append(np.zeros_like(p))
                params.append(p)
                grads.append(slots[-1])
            self._act_grad_slots.append(slots)
            self._grad_views += slots
        self._params, self._grads = params, grads
        self._reset_alive()
        state = [[np.zeros_like(p) for p in params] for _ in range(2 if self.optimizer == "adam" else 1)]
        self._state = state
        # What one step hands the fused C++ update: (param, grad, state..., weight decay)
        # as flat views; the weights (the front of the flat buffer) are decayed, the
        # biases and activation parameters are not.
        # Each segment also reports, from the same pass, the squared norm of every
        # gradient in it (``_norm_slots``: where each of _grad_views's lands).
        sizes_w, sizes_b = [W.size for W in self.coefs_], [b.size for b in self.intercepts_]
        n_w = sum(sizes_w)
        wd = float(self.weight_decay)
        flat = lambda a: a.reshape(-1)  # noqa: E731 (views: every array is C-contiguous)
        if wd:
            cuts = [(slice(0, n_w), wd, sizes_w), (slice(n_w, self._flat.size), 0.0, sizes_b)]
            slots = [(0, l) for l in range(L)], [(1, l) for l in range(L)]
        else:
            cuts = [(slice(None), 0.0, sizes_w + sizes_b)]
            slots = [(0, l) for l in range(L)], [(0, L + l) for l in range(L)]
        self._norm_slots = [s for pair in zip(*slots) for s in pair]
        self._segments = [(self._flat[c], flat_grad[c], *(st[0][c] for st in state), d,
                           np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), np.zeros(len(sizes)))
                          for c, d, sizes in cuts]
        for i, (p, g) in enumerate(zip(params, grads)):
            if i > 0:
                self._norm_slots.append((len(self._segments), 0))
                self._segments.append((flat(p), flat(g), *(flat(st[i]) for st in state), 0.0,
                                       np.array([0, p.size], np.int64), np.zeros(1)))
        self._step_count = 0

    def _step(self, norms: bool = False) -> list[float] | None:
        """One optimiser step on self._params with self._grads: PyTorch's rules
        (torch.optim.Adam / SGD, weight decay as their coupled L2 on the weights only),
        one fused pass per segment in C++ (``_core.adam_step`` / ``_core.sgd_step``).
        Elementwise, so pyact's thread count changes no bit.

        With ``norms``, returns what :meth:`_sq_norms` would have before the step
        (float64 sums read in the same pass, in an order fixed by the sizes alone)."""
        self._step_count += 1
        t, lr = self._step_count, float(self.lr)
        if self.optimizer == "adam":
            b1, b2 = (float(b) for b in self.betas)
            eps = float(self.eps)
            for p, g, m, v, wd, bounds, sq in self._segments:
                _core.adam_step(p, g, m, v, lr, b1, b2, eps, wd, t, *((bounds, sq) if norms else ()))
        else:
            mu, nesterov = float(self.momentum), bool(self.nesterov)
            for p, g, buf, wd, bounds, sq in self._segments:
                _core.sgd_step(p, g, buf, lr, mu, nesterov, wd, t == 1, *((bounds, sq) if norms else ()))
        if not norms:
            return None
        return [float(self._segments[k][-1][j]) for k, j in self._norm_slots]

    def _sq_norms(self) -> list[float]:
        """Squared L2 norm of every gradient: per layer dW, db, ..., then activations'.
        (Only with grad_clip, whose coefficient needs them before the step; otherwise
        the step reads them in its own pass.)"""
        return [float(np.vdot(g, g)) for g in self._grad_views]

    # --- public API --------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> History:
        """Train from scratch on (X, y); returns the per-epoch :class:`History`.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
            Class labels, a 0/1 matrix (multi-label) or values (regression).
        validation_data : (X_val, y_val), optional
            Evaluated after every epoch (``val_loss``, ``val_accuracy``).
        """
        self._check_params()
        for attr in ("n_features_in_",):
            self.__dict__.pop(attr, None)
        X = self._as_input(X)
        if y is None:
            raise ValueError("MLP requires y to be passed, but the target y is None")  # scikit-learn's words
        y = self._as_target(y)
        if len(y) != len(X):
            raise ValueError(f"MLP: X has {len(X)} samples but y has {len(y)}")
        if len(X) == 0:
            raise ValueError("MLP: fit needs at least one sample")
        self._setup_targets(y)
        T = self._encode(y)
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.seed)
        self._build(X.shape[1], rng)
        self._setup_optimizer()
        val = None
        if validation_data is not None:
            Xv, yv = validation_data
            val = (self._as_input(Xv), self._encode(self._as_target(yv)))
        n, B, L = len(X), int(self.batch_size), len(self._hidden)
        classifier = self.out_kind_ != "linear"
        history = History(loss=[], seconds=[], dead_fraction=[], grad_norm=[])
        if classifier:
            history["accuracy"] = []
        if val is not None:
            history["val_loss"] = []
            if classifier:
                history["val_accuracy"] = []
        n_batches = -(-n // B)
        printer = _Printer(int(self.epochs), n_batches) if self.verbose else None
        self._train_mode(True)
        for epoch in range(int(self.epochs)):
            t0 = time.perf_counter()
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            self._reset_alive()
            total_loss, correct, layer_norms = 0.0, 0, np.zeros(L)
            for bi, s in enumerate(range(0, n, B)):
                idx = order[s:s + B]
                buf = self._buffers_for(len(idx))
                np.take(X, idx, axis=0, out=buf.x)
                loss, ok = self._batch(buf.x, T[idx], buf)
                total_loss += loss * len(idx)
                correct += ok
                if self.grad_clip is None:
                    sq = self._step(norms=True)  # the norms from the update's pass
                else:  # the norms first: they decide the update
                    sq = self._sq_norms()
                    total = math.sqrt(sum(sq))
                    coef = float(self.grad_clip) / (total + 1e-6)
                    if coef < 1:
                        for g in self._grads:
                            g *= coef
                    self._step()
                layer_norms += [math.sqrt(sq[2 * l] + sq[2 * l + 1]) for l in range(L)]
                if printer:
                    printer.batch(epoch, bi + 1)
            record: dict[str, Any] = {"loss": total_loss / n}
            if classifier:
                record["accuracy"] = correct / n
            if val is not None:
                # in eval mode, as PyTorch and Keras evaluate: rrelu's slopes fixed, and
                # its random stream (so the training) untouched by the validation
                self._train_mode(False)
                vl, vc = self._evaluate(*val)
                self._train_mode(True)
                record["val_loss"] = vl
                if classifier:
                    record["val_accuracy"] = vc
            record["seconds"] = time.perf_counter() - t0
            for k, v in record.items():
                history[k].append(v)
            history["dead_fraction"].append([float(1 - a.mean()) for a in self._alive])
            history["grad_norm"].append((layer_norms / n_batches).tolist())
            if printer:
                printer.epoch(epoch, record)
        self._train_mode(False)
        self._buffers = {}
        self.history_ = history
        return history

    def _train_mode(self, on: bool) -> None:
        """Training or eval mode for the activations that have one (rrelu)."""
        for act in self.activations_:
            switch = getattr(act, "train" if on else "eval", None)
            if callable(switch):
                switch()

    def _evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, float]:
        logits = self._predict_logits(X)
        loss, correct = self._loss_grad(logits, T, grad=False)
        return loss, correct / len(X)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coefs_"):
            raise _sklearn_class("NotFittedError", NotFittedError)(
                "This MLP instance is not fitted yet. Call 'fit' with appropriate arguments before using it.")

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes) (also for two classes);
        for a multi-label model, one probability per label."""
        self._check_fitted()
        if self.out_kind_ == "linear":
            raise AttributeError("MLP: predict_proba needs a classifier (this model has a linear output)")
        z = self._predict_logits(self._as_input(X))
        if self.out_kind_ == "softmax":
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
            return z
        p = np.exp(-np.logaddexp(0, -z))
        return p if self._multilabel else np.column_stack([1 - p[:, 0], p[:, 0]])

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classifiers), a 0/1 matrix (multi-label) or values (regression)."""
        self._check_fitted()
        z = self._predict_logits(self._as_input(X))
        if self.out_kind_ == "linear":
            return z[:, 0] if self._y_1d and self.n_outputs_ == 1 else z
        if self._multilabel:
            return (z > 0).astype(np.int64)
        if self.out_kind_ == "softmax":
            return self.classes_[z.argmax(axis=1)]
        return self.classes_[(z[:, 0] > 0).astype(np.intp)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (classifiers; subset accuracy for multi-label) or R² (regression,
        averaged over outputs)."""
        pred = self.predict(X)
        y = np.asarray(y)
        if self.out_kind_ != "linear":
            y = y.reshape(pred.shape)
            same = pred == y
            return float(np.mean(same.all(axis=1) if same.ndim == 2 else same))
        y = y.reshape(len(y), -1).astype(np.float64)
        p = np.asarray(pred, np.float64).reshape(y.shape)
        ss_res = ((y - p) ** 2).sum(axis=0)
        ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), 0.0)
        return float(r2.mean())

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path: Any) -> None:
        """Write the fitted model to ``path`` exactly (no ``.npz`` added), an npz
        archive without pickle: hyper-parameters, weights, activations with their
        parameters, classes. ``path`` may also be a binary file object."""
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        hyper = {}
        for k, v in self.get_params().items():
            if k == "activation":
                v = v if isinstance(v, str) or (isinstance(v, (list, tuple)) and all(isinstance(a, str) for a in v)) else None
            elif k == "init" and callable(v):
                v = "auto"  # a callable cannot be stored; the weights are
            elif k == "dtype":
                v = self._dtype.name  # np.float64 -> "float64"
            hyper[k] = _json_value(v)
        layers = []
        for l, act in enumerate(self.activations_):
            params, keys = {}, {}
            for pname, pv in act.params.items():
                if isinstance(pv, np.ndarray):
                    keys[pname] = f"act{l}_{pname}"
                    arrays[keys[pname]] = pv
                else:
                    params[pname] = _json_value(pv)
            layers.append({"name": act.name, "params": params, "arrays": keys})
        meta = {"format": 1, "hyper": hyper, "layers": layers, "out_kind": self.out_kind_,
                "y_1d": self._y_1d, "multilabel": self._multilabel, "n_outputs": self.n_outputs_,
                "n_features_in": self.n_features_in_}
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            arrays[f"W{l}"], arrays[f"b{l}"] = W, b
        if self.classes_ is not None:
            arrays["classes"] = np.asarray(self.classes_)
        blob = {"__pyact_mlp__": np.array(json.dumps(meta)), **arrays}
        if hasattr(path, "write"):
            np.savez_compressed(path, **blob)
        else:  # opened here: np.savez would append ".npz" to a path without it
            with open(path, "wb") as f:
                np.savez_compressed(f, **blob)

    @classmethod
    def load(cls, path: Any) -> "MLP":
        """A fitted MLP from a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            if "__pyact_mlp__" not in z.files:
                raise ValueError(f"{path}: not a pyact MLP file")
            meta = json.loads(str(z["__pyact_mlp__"]))
            data = {k: z[k] for k in z.files}
        acts = [_rebuild_activation(layer["name"], layer["params"],
                                    {p: data[key] for p, key in layer["arrays"].items()})
                for layer in meta["layers"]]
        hyper = meta["hyper"]
        hyper["betas"] = tuple(hyper["betas"])
        if isinstance(hyper["hidden"], list):
            hyper["hidden"] = tuple(hyper["hidden"])
        if hyper["activation"] is None:
            hyper["activation"] = acts
        model = cls(**hyper)
        model._check_params()
        n_layers = len(meta["layers"]) + 1
        model.coefs_ = [data[f"W{l}"] for l in range(n_layers)]
        model.intercepts_ = [data[f"b{l}"] for l in range(n_layers)]
        model.activations_ = acts
        model.out_kind_ = meta["out_kind"]
        model._y_1d, model._multilabel = meta["y_1d"], meta["multilabel"]
        model.n_outputs_, model.n_features_in_ = meta["n_outputs"], meta["n_features_in"]
        model.classes_ = data.get("classes")
        model._bind()
        return model


def _rebuild_activation(name: str, params: dict, arrays: dict[str, np.ndarray]) -> Activation:
    """A saved activation, built as ``pa.get(name, **params)`` builds it (the same class,
    seeds and modes: learnable swish, rrelu, registered names), then its trained arrays
    copied in. ``get`` takes the scalar parameters only: prelu's alpha, for one, is
    made from ``num_parameters`` and ``init``."""
    act = get(name, **params)
    for p, v in arrays.items():
        current = act.params.get(p)
        if p not in act.learnable or not isinstance(current, np.ndarray) or current.shape != v.shape:
            raise ValueError(f"MLP.load: cannot restore {p!r} of shape {v.shape} into {act!r}")
        np.copyto(current, v, casting="unsafe")  # in place: act.params hands out its own arrays
    return act


def _json_value(v: Any) -> Any:
    """A hyper-parameter or activation parameter as JSON holds it."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (tuple, list, np.ndarray)):
        return [_json_value(a) for a in v]
    return v


def _views(flat: np.ndarray, shapes: list[tuple]) -> list[np.ndarray]:
    """Consecutive views of ``flat`` with these shapes."""
    out, at = [], 0
    for shape in shapes:
        n = math.prod(shape)
        out.append(flat[at:at + n].reshape(shape))
        at += n
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return a is b
