"""The NumPy Adam step pa.MLP ran before its fused C++ step (``_core.adam_step``), in the
parameter's dtype: a dozen passes over the arrays. tests/test_optim.py compares the fused
step's accuracy with it; benchmarks/bench_optim.py times it as the NumPy baseline.
"""
from __future__ import annotations

import math

import numpy as np


def adam_step(p, g, m, v, tmp, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """One step at step number ``t``, in place on p, m, v (``tmp``: scratch of p's shape)."""
    m *= b1
    np.multiply(g, 1 - b1, out=tmp)
    m += tmp
    v *= b2
    np.multiply(g, g, out=tmp)
    tmp *= 1 - b2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp *= 1 / math.sqrt(1 - b2 ** t)
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - b1 ** t)
    p -= tmp
