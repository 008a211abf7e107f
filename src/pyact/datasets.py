"""Small datasets for the trainer, the CLI and the examples, with a train/test split and
a standardisation helper (no scikit-learn needed).

Real data, shipped inside the package (``pyact/data/``, see its README for source and
licence; both CC BY 4.0 from the UCI Machine Learning Repository):

- :func:`digits`: optical recognition of handwritten digits, 1,797 × 64, 10 classes.
- :func:`breast_cancer`: Breast Cancer Wisconsin (Diagnostic), 569 × 30, 2 classes.

Generated from a seed (same seed, same data): :func:`spirals`, :func:`moons`, :func:`xor`.

Every loader returns ``(X, y)``: ``X`` float64 of shape (n_samples, n_features), ``y``
int64 class labels.
"""
from __future__ import annotations

import math
from importlib import resources
from typing import Any, Callable

import numpy as np

__all__ = ["digits", "breast_cancer", "spirals", "moons", "xor", "load", "NAMES",
           "train_test_split", "standardize", "Standardizer"]


def _shipped(name: str) -> dict[str, np.ndarray]:
    with resources.files(__package__).joinpath("data", f"{name}.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical handwritten digits: 1,797 8×8 images (pixel counts 0–16, as
    float64, 64 features) and their labels 0–9 (Alpaydin & Kaynak, 1998)."""
    z = _shipped("digits")
    return z["X"].astype(np.float64), z["y"].astype(np.int64)


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Breast Cancer Wisconsin (Diagnostic): 569 samples × 30 features, label 0 =
    malignant (212), 1 = benign (357) (Wolberg, Street & Mangasarian, 1995)."""
    z = _shipped("breast_cancer")
    return z["X"].astype(np.float64), z["y"].astype(np.int64)


def _check_n(n_samples: Any, minimum: int = 1) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _check_noise(noise: Any) -> float:
    if not isinstance(noise, (int, float, np.floating)) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _split_counts(n: int, k: int) -> list[int]:
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def spirals(n_samples: int = 1000, n_classes: int = 2, noise: float = 0.2, seed: int | None = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in 2-d, one per class (the CS231n construction): radius
    0→1, angle over 4 radians per arm plus Gaussian noise of std ``noise``."""
    n = _check_n(n_samples)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or not 2 <= n_classes <= n:
        raise ValueError(f"n_classes must be an integer in [2, n_samples], got {n_classes!r}")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k, m in enumerate(_split_counts(n, int(n_classes))):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), m) + rng.normal(0.0, noise, m)
        X.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y.append(np.full(m, k, np.int64))
    return np.concatenate(X), np.concatenate(y)


def moons(n_samples: int = 1000, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 the upper one), Gaussian noise of std
    ``noise`` on both coordinates."""
    n = _check_n(n_samples, 2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    n0, n1 = _split_counts(n, 2)
    a0, a1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    X = np.concatenate([np.column_stack([np.cos(a0), np.sin(a0)]),
                        np.column_stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)])])
    X += rng.normal(0.0, noise, X.shape)
    return X, np.repeat(np.array([0, 1], np.int64), [n0, n1])


def xor(n_samples: int = 1000, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]², label 1 where exactly one coordinate is positive;
    Gaussian noise of std ``noise`` added after labelling."""
    n = _check_n(n_samples)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    return X + rng.normal(0.0, noise, X.shape), y


_LOADERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "digits": digits, "breast_cancer": breast_cancer, "spirals": spirals, "moons": moons, "xor": xor}
NAMES: tuple[str, ...] = tuple(_LOADERS)
"""The dataset names :func:`load` (and ``pyact train --dataset``) accept."""


def load(name: str, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the dataset ``name`` (one of :data:`NAMES`); keyword arguments go to
    the generators (``n_samples``, ``noise``, ``seed``, ...)."""
    if name not in _LOADERS:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(NAMES)}")
    return _LOADERS[name](**kwargs)


def train_test_split(X: Any, y: Any, test_size: float | int = 0.25, *, stratify: bool = True,
                     seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    Parameters
    ----------
    X, y : array_like
        Samples along the first axis.
    test_size : float in (0, 1) or int
        Fraction or number of test samples (a fraction is rounded up, as scikit-learn).
    stratify : bool
        Keep the class proportions of ``y`` in both parts (largest-remainder rounding).
    seed : int or None
        Seed of the shuffle.
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}")
    if isinstance(test_size, (float, np.floating)) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = int(test_size)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count in [1, {n - 1}], got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves an empty train or test part of {n} samples")
    rng = np.random.default_rng(seed)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        share = counts * n_test / n
        take = np.floor(share).astype(np.int64)
        extra = n_test - int(take.sum())  # to the largest remainders, first class on ties
        take[np.argsort(-(share - take), kind="stable")[:extra]] += 1
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            idx = rng.permutation(np.flatnonzero(inverse == c))
            test_parts.append(idx[:take[c]])
            train_parts.append(idx[take[c]:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]


class Standardizer:
    """Zero mean, unit variance per feature, with the statistics of the data it was fit
    on (a feature of zero variance is only centred). Has the scikit-learn transformer
    methods, so it also works inside a ``sklearn.pipeline.Pipeline``."""

    def __init__(self) -> None:
        pass

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params: Any) -> "Standardizer":
        if params:
            raise ValueError(f"Standardizer has no parameters, got {sorted(params)}")
        return self

    def fit(self, X: Any, y: Any = None) -> "Standardizer":
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"Standardizer.fit: X must be 2-d with at least one sample, got shape {X.shape}")
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        if not hasattr(self, "mean_"):
            raise RuntimeError("Standardizer is not fitted: call fit first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean_):
            raise ValueError(f"Standardizer.transform: expected shape (n, {len(self.mean_)}), got {X.shape}")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) * self.scale_ + self.mean_


def standardize(X_train: Any, *others: Any) -> tuple[np.ndarray, ...]:
    """``X_train`` and every array of ``others`` scaled with ``X_train``'s per-feature
    mean and standard deviation: ``Xtr, Xte = standardize(Xtr, Xte)``."""
    s = Standardizer().fit(X_train)
    return (s.transform(X_train), *(s.transform(o) for o in others))
