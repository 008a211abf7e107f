"""DESIGN.md §1: the Python catalog, the C++ kernel list and tests/reference.py agree."""
from __future__ import annotations

import pyact as pa
from pyact import _catalog, _core, _kernels
from reference import REF


def _kernel_names(act):
    k = act.kernel if act.kernel is not None else act.name
    if callable(k):  # a kernel chosen by parameter: every kernel it can name must exist
        return {n for n in _core.kernel_names() if n == act.name or n.startswith(act.name + "_")}
    return {k}


def test_catalog_kernels_are_the_cpp_list():
    elementwise = [a for a in _catalog.CATALOG if a.family == "elementwise"]
    named = set().union(*(_kernel_names(a) for a in elementwise))
    assert named == set(_core.kernel_names())
    assert len(_core.kernel_names()) == len(set(_core.kernel_names()))


def test_every_elementwise_entry_has_a_reference():
    elementwise = {a.name for a in _catalog.CATALOG if a.family == "elementwise"}
    assert elementwise <= set(REF)
    assert set(REF) <= {a.name for a in _catalog.CATALOG}


def test_y_ok_implies_cpp_backward_from_y():
    from cases import example_params
    for act in _catalog.CATALOG:
        if act.family != "elementwise":
            continue
        k = _kernels.bind(act, pa.get(act.name, **example_params(act)).params)
        if k.y_ok:
            assert _core.has_bwd_y(k.kid), act.name
        if callable(act.y_ok) or act.y_ok:
            assert _core.has_bwd_y(_kernels.KERNEL_IDS[act.kernel_for(act.defaults if not example_params(act) else
                                                                        dict(act.defaults, **example_params(act)))]), act.name


def test_names_unique_and_exported():
    seen = set()
    for act in _catalog.CATALOG:
        for n in (act.name, *act.aliases):
            assert n not in seen
            seen.add(n)
        assert act.name in pa.available()
        if act.family == "elementwise":
            assert callable(getattr(pa, act.name))
            assert act.name in pa.__all__ and act.cls in pa.__all__


def test_softplus_from_y_only_where_y_decides_the_side():
    """softplus jumps at its threshold t (softplus(t) > t): a y just above t comes from
    either side, where f' is 1 or sigmoid(t). From y only for t >= 14, where the two are
    within 1e-6 (SPEC §5), and there the gradient from y matches sigmoid(beta x)."""
    import numpy as np
    import pytest
    for t in (0.0, 1.0, 5.0, 13.9):
        assert not pa.get("softplus", threshold=t).y_ok
        with pytest.raises(TypeError, match="cannot run from y"):
            pa.grad("softplus", np.ones(3), y=np.ones(3), threshold=t)
    for beta, t in ((1.0, 20.0), (0.5, 14.0), (3.0, 30.0)):
        assert pa.get("softplus", beta=beta, threshold=t).y_ok
        z = np.concatenate([np.linspace(-30, 40, 2001), t + np.linspace(-1e-6, 1e-6, 201)])
        x = z / beta
        y = pa.softplus(x, beta=beta, threshold=t)
        ref = np.where(z > t, 1.0, 1 / (1 + np.exp(-z)))
        np.testing.assert_allclose(pa.grad("softplus", np.ones_like(x), y=y, beta=beta, threshold=t), ref,
                                   rtol=0, atol=1e-6)


def test_relu_capped_at_zero_is_y_ok_only_without_a_slope():
    """max_value = 0 sends every x >= 0 to y = 0: the gradient (negative_slope at x = 0,
    0 beyond) is knowable from y only when negative_slope is 0 too."""
    import numpy as np
    assert pa.get("relu", max_value=0).y_ok and not pa.get("relu", max_value=0, negative_slope=0.1).y_ok
    x = np.array([-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(pa.grad("relu", np.ones(4), y=pa.relu(x, max_value=0), max_value=0), np.zeros(4))
