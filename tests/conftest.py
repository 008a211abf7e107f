"""Fixtures shared by every test file: the ISA under test, dtypes, sizes around the
vector width, and the catalog parametrisation (STYLE.md §6)."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog, _core

# Every ISA this build compiled (one pytest id each); those this CPU lacks skip with the reason.
ISAS = tuple(_core.isas_compiled())
DTYPES = (np.float16, np.float32, np.float64)
# 1..W-1, W, W+1..2W-1, k*W, 10W+3 for every vector width (up to 16 float lanes).
SIZES = sorted({*range(0, 34), 47, 48, 49, 63, 64, 65, 163, 1000, 4099, 70001})


@pytest.fixture(params=ISAS)
def isa(request):
    """Run the test with each ISA's kernels; skip (with the reason) where this build or
    CPU has not got it."""
    name = request.param
    if name not in _core.isas_available():
        pytest.skip(f"{name} not supported by this CPU")
    previous = _core.isa()
    _core.use_isa(name)
    yield name
    _core.use_isa(previous)


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return np.dtype(request.param)


def catalog(family: str | None = "elementwise"):
    return [a for a in _catalog.CATALOG if family is None or a.family == family]


from cases import example_params  # noqa: E402,F401  (re-exported for other test files)
