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
