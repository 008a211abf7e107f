# Checked by mypy in tests/test_typing.py: correct use of the public API must type-check.
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import pyact as pa
from pyact import _core

x: NDArray[np.float32] = np.linspace(-3, 3, 10, dtype=np.float32)
y = pa.relu(x, negative_slope=0.1, max_value=6.0)
pa.leaky_relu(x, out=x)
g = pa.grad("relu", np.ones_like(x), x=x)
act: pa.Activation = pa.get("leaky_relu", negative_slope=0.2)
z = act(x)
names: list[str] = pa.available()
isa: str = pa.info()["isa"]
n: int = pa.get_num_threads()
with pa.threads(1):
    pa.squareplus([1.0, 2.0], b=2.0)
m = pa.ReLU(threshold=0.5)
kernels: list[str] = _core.kernel_names()
first: float = float(y[0]) + float(g.sum()) + float(z.sum())
