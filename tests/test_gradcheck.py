"""Every elementwise catalog entry's backward against float64 central differences of
its own forward (scikit-learn's test_gradient), away from the kinks."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from cases import example_params, kinks, varied_params
from conftest import catalog

ACTS = catalog()


def points(act, p, n=400, seed=3):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-7, 7, n), rng.normal(0, 0.5, n)])
    k = np.array(kinks(act, p) + [-3.0 / 0.75 + 1 / 3])  # and the hard_sigmoid kinks of varied params
    far = np.min(np.abs(x[:, None] - k[None, :]), axis=1) > 1e-3
    return x[far]


@pytest.mark.parametrize("params", ["default", "varied"])
@pytest.mark.parametrize("act", ACTS, ids=[a.name for a in ACTS])
def test_central_differences(act, params):
    p = example_params(act) if params == "default" else varied_params(act)
    if p is None:
        pytest.skip(f"{act.name}: no numeric parameter to vary")
    x = points(act, p)
    f = getattr(pa, act.name)
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    numeric = (f(x + h, **p) - f(x - h, **p)) / (2 * h)
    # drop the few points whose stencil straddles a kink of a non-smooth function
    smooth = np.abs(f(x + h, **p) - 2 * f(x, **p) + f(x - h, **p)) < 1e-9
    g = np.random.default_rng(4).normal(size=x.size)
    analytic = pa.grad(act.name, g, x=x, **p)
    np.testing.assert_allclose(analytic[smooth], g[smooth] * numeric[smooth], rtol=1e-5, atol=1e-7)
    assert smooth.mean() > 0.9
