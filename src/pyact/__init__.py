"""pyact: fast, exact neural-network activation functions for NumPy.

    import pyact as pa
    y = pa.gelu(x)                       # a new array, same shape and dtype
    pa.relu(x, out=x)                    # in place
    g_in = pa.grad("gelu", g, x=x)       # dL/dx given dL/dy = g
    act = pa.get("leaky_relu", negative_slope=0.1); act(x); act.backward(g, x=x)

SIMD C++ kernels (AVX-512 / AVX2 / SSE4 / NEON, chosen at import) with OpenMP.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _dist_version

import os as _os

import numpy as _np

# OpenMP workers that spin after a kernel steal the cores of NumPy's BLAS threads when the
# two alternate, as in a dense layer: measured 8.5 ms instead of 1.0 ms for a
# (256x1024)@(1024x1024) matmul + bias_act on 16 cores (docs/PERFORMANCE.md). Let
# them sleep unless the user chose a policy. Read once, when OpenMP starts (import of _core).
_os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from . import _catalog, _core  # noqa: E402
from .activations import CLASSES as _CLASSES
from .activations import Activation
from .functional import FUNCTIONS as _FUNCTIONS
from .functional import grad
from .registry import available, get, register
from .threads import get_num_threads, set_num_threads, threads
from . import learnable as _learnable  # noqa: E402,F401  (adds the learnable family)
from . import axis as _axis  # noqa: E402,F401  (softmax, log_softmax, softmin, glu, maxout)
from .fused import bias_act, bias_act_grad
from . import datasets
from .mlp import MLP

try:
    __version__ = _dist_version("pyact")
except PackageNotFoundError:  # running from a source tree (a plain CMake build has no version)
    __version__ = getattr(_core, "__version__", "") or "0+unknown"


def info() -> dict:
    """Build and runtime facts.

    Returns
    -------
    dict
        ``version``; ``isa`` (the kernels in use: scalar, sse4, avx2, avx512 or neon);
        ``isas_compiled``, ``isas_supported`` (by this CPU), ``isas_available`` (both);
        ``openmp`` (built with OpenMP), ``openmp_runtime`` (path of the loaded OpenMP
        library, e.g. libgomp, links resolved as threadpoolctl lists it, or None);
        ``num_threads`` (threads a kernel may use now); ``numpy`` (its version);
        ``denormal_detour`` (whether elementwise kernels send denormal inputs around
        their formulas: on CPUs whose multiplies take a microcode assist on denormals,
        Intel's; the last bit of such a result may differ from the formula's).

    Examples
    --------
    >>> import pyact as pa
    >>> pa.info()["isa"] in pa.info()["isas_available"]
    True
    """
    return {
        "version": __version__,
        "isa": _core.isa(),
        "isas_compiled": _core.isas_compiled(),
        "isas_supported": _core.isas_supported(),
        "isas_available": _core.isas_available(),
        "openmp": _core.openmp(),
        "openmp_runtime": _os.path.realpath(_core.openmp_runtime()) if _core.openmp_runtime() else None,
        "num_threads": _core.get_num_threads(),
        "numpy": _np.__version__,
        "denormal_detour": _core._denormal_assists(),
    }


def _export() -> list[str]:
    names = []
    for name, fn in _FUNCTIONS.items():
        globals()[name] = fn
        names.append(name)
    for cls in _CLASSES.values():
        globals()[cls.__name__] = cls
        names.append(cls.__name__)
    return names


__all__ = ["Activation", "available", "get", "grad", "info", "register",
           "get_num_threads", "set_num_threads", "threads", *_export()]
__all__ += ["bias_act", "bias_act_grad", "datasets", "MLP"]

# Dask arrays (lazy, block by block) also in the functions that family modules define
# themselves; pyact._dask imports dask only when given a Dask array.
from . import _dask as _dask_hook  # noqa: E402

_dask_hook.install(globals(), _FUNCTIONS)


def _export_aliases() -> list[str]:
    """``pa.silu`` is ``pa.swish``, and so on for every alias of a catalog name (§4)."""
    names = []
    for act in _catalog.CATALOG:
        if act.name in _FUNCTIONS:
            for alias in act.aliases:
                globals()[alias] = globals()[act.name]
                names.append(alias)
    return names


__all__ += _export_aliases()
