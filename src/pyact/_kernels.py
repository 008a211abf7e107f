"""Catalog entries bound to the C++ elementwise kernels: a kernel id and its encoded
parameters, resolved once per parameter set.

A call first tries ``_core.Bound``'s fast path (flat float arrays that match: one C++
call, no Python-side checks); anything else goes through :func:`_arrays.elementwise`,
which applies SPEC §2's rules and messages and then calls the strict ``_core`` entry.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from . import _arrays, _core
from ._catalog import Act

KERNEL_IDS: dict[str, int] = {name: i for i, name in enumerate(_core.kernel_names())}


class BoundKernel:
    """One elementwise kernel with fixed parameters."""

    __slots__ = ("name", "kid", "args", "y_ok", "fast", "_fwd", "_bwd_x", "_bwd_y")

    def __init__(self, act: Act, params: dict) -> None:
        kernel = act.kernel_for(params)
        self.name = act.name
        self.kid = KERNEL_IDS[kernel]
        self.args = tuple(float(a) for a in act.encode(act, params))
        self.y_ok = act.y_ok_for(params)
        self.fast = _core.Bound(self.kid, list(self.args))
        self._fwd = partial(_core.forward, self.kid, params=self.args)
        self._bwd_x = partial(_core.backward, self.kid, False, params=self.args)
        self._bwd_y = partial(_core.backward, self.kid, True, params=self.args)

    def forward(self, x: Any, out: np.ndarray | None) -> np.ndarray:
        """f(x) into ``out`` (or a new array); ``x`` any array-like."""
        r = self.fast.forward(x, out)
        if r is not None:
            return r
        return _arrays.elementwise(self._fwd, [_arrays.as_float_array(x)], out)

    def backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        """dL/dx from float arrays ``g`` and ``xy`` (x, or y when ``from_y``) of one
        shape and dtype."""
        r = self.fast.backward(g, xy, from_y, out)
        if r is not None:
            return r
        return _arrays.elementwise(self._bwd_y if from_y else self._bwd_x, [g, xy], out)


def bind(act: Act, params: dict[str, Any]) -> BoundKernel:
    """The kernel of catalog entry ``act`` with validated parameters ``params``."""
    return BoundKernel(act, params)
