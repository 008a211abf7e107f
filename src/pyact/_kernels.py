"""Catalog entries bound to the C++ elementwise kernels: a kernel id and its encoded
parameters, resolved once per parameter set, so a call costs one ``_core`` call."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from . import _arrays, _core
from ._catalog import Act

KERNEL_IDS: dict[str, int] = {name: i for i, name in enumerate(_core.kernel_names())}


class BoundKernel:
    """One elementwise kernel with fixed parameters."""

    __slots__ = ("name", "kid", "args", "y_ok", "_fwd", "_bwd_x", "_bwd_y")

    def __init__(self, act: Act, params: dict) -> None:
        kernel = act.kernel_for(params)
        self.name = act.name
        self.kid = KERNEL_IDS[kernel]
        self.args = act.encode(act, params)
        self.y_ok = act.y_ok_for(params)
        self._fwd = partial(_core.forward, self.kid)
        self._bwd_x = partial(_core.backward, self.kid, False)
        self._bwd_y = partial(_core.backward, self.kid, True)

    def forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        args = self.args
        return _arrays.elementwise(lambda a, o: self._fwd(a, o, args), [x], out)

    def backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        fn, args = (self._bwd_y if from_y else self._bwd_x), self.args
        return _arrays.elementwise(lambda a, b, o: fn(a, b, o, args), [g, xy], out)


def bind(act: Act, params: dict[str, Any]) -> BoundKernel:
    return BoundKernel(act, params)
