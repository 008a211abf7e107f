"""pa.datasets: the shipped real data (shapes, values against published facts), the
seeded generators, the stratified split and the standardisation helper."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

import pyact as pa
from pyact import datasets as ds


def test_digits():
    X, y = ds.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and (X == np.round(X)).all()
    # class counts of the UCI test set (optdigits.tes)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the first image is a 0: its pixel counts as published with the data set
    assert X[0, :16].tolist() == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]


def test_breast_cancer():
    X, y = ds.breast_cancer()
    assert X.shape == (569, 30) and y.shape == (569,)
    assert np.bincount(y).tolist() == [212, 357]  # malignant, benign
    # first sample's mean radius, texture, perimeter, area (WDBC record 842302)
    assert X[0, :4].tolist() == [17.99, 10.38, 122.8, 1001.0]
    assert np.isfinite(X).all() and (X >= 0).all()


def test_shipped_files_are_the_documented_ones():
    from importlib import resources
    readme = resources.files("pyact").joinpath("data", "README.md").read_text()
    assert "CC BY 4.0" in readme and "Alpaydin" in readme and "Wolberg" in readme
    for name in ("digits", "breast_cancer"):
        data = resources.files("pyact").joinpath("data", f"{name}.npz").read_bytes()
        assert len(data) < 200_000 and hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", ["spirals", "moons", "xor"])
def test_generators_are_seeded(name):
    X1, y1 = ds.load(name, seed=3)
    X2, y2 = ds.load(name, seed=3)
    X3, _ = ds.load(name, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape == (1000, 2) and y1.dtype == np.int64 and set(np.unique(y1)) == {0, 1}
    X, y = ds.load(name, n_samples=101, noise=0.0)
    assert X.shape == (101, 2) and len(y) == 101


def test_generator_shapes_and_errors():
    X, y = ds.spirals(n_samples=300, n_classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1])[y == 0], np.linspace(0, 1, 100), atol=1e-12)
    X, y = ds.moons(noise=0.0)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    X, y = ds.xor(noise=0.0)
    assert ((X[:, 0] * X[:, 1] < 0) == (y == 1)).all()
    for bad in (dict(n_samples=0), dict(noise=-1.0), dict(n_samples=2.5)):
        with pytest.raises(ValueError):
            ds.moons(**bad)
    with pytest.raises(ValueError, match="n_classes"):
        ds.spirals(n_classes=1)
    with pytest.raises(KeyError, match="digits"):
        ds.load("mnist")


def test_stratified_split():
    X, y = ds.digits()
    Xtr, Xte, ytr, yte = ds.train_test_split(X, y, 0.25, seed=0)
    assert len(Xte) == 450 and len(Xtr) == 1347 and len(ytr) == 1347
    counts, test_counts = np.bincount(y), np.bincount(yte)
    assert (np.abs(test_counts - counts * 450 / 1797) < 1).all()  # proportions kept
    # a partition of the samples: every row once
    rows = {r.tobytes() for r in np.concatenate([Xtr, Xte])}
    assert len(np.concatenate([Xtr, Xte])) == 1797 and len(rows) == len({r.tobytes() for r in X})
    again = ds.train_test_split(X, y, 0.25, seed=0)
    np.testing.assert_array_equal(again[0], Xtr)
    other = ds.train_test_split(X, y, 0.25, seed=1)
    assert not np.array_equal(other[1], Xte)
    _, Xte2, _, _ = ds.train_test_split(X, y, 100, stratify=False)
    assert len(Xte2) == 100
    for bad in (0.0, 1.0, 0, 1797, -3, True):
        with pytest.raises(ValueError):
            ds.train_test_split(X, y, bad)
    with pytest.raises(ValueError, match="samples"):
        ds.train_test_split(X, y[:10])


def test_standardize():
    rng = np.random.default_rng(0)
    A = rng.normal(5, 3, (200, 4))
    A[:, 3] = 7.0  # constant feature: centred only
    B = rng.normal(5, 3, (50, 4))
    As, Bs = ds.standardize(A, B)
    np.testing.assert_allclose(As[:, :3].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(As[:, :3].std(axis=0), 1, rtol=1e-12)
    assert (As[:, 3] == 0).all()
    np.testing.assert_allclose(Bs, (B - A.mean(axis=0)) / np.where(A.std(axis=0) > 0, A.std(axis=0), 1))
    s = ds.Standardizer().fit(A)
    np.testing.assert_allclose(s.inverse_transform(s.transform(B)), B)
    with pytest.raises(RuntimeError, match="not fitted"):
        ds.Standardizer().transform(A)
    with pytest.raises(ValueError, match="shape"):
        s.transform(A[:, :2])


def test_reachable_from_the_package():
    assert pa.datasets is ds and set(ds.NAMES) == {"digits", "breast_cancer", "spirals", "moons", "xor"}
