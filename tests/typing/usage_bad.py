# Checked by mypy in tests/test_typing.py: each line marked `# E` must be an error, which
# proves mypy reads pyact's stubs (without them every name is Any and nothing is flagged).
from __future__ import annotations

import numpy as np

import pyact as pa
from pyact import _core

x = np.ones(3)
pa.relu(x, negative_slope="steep")  # E
pa.squareplus(x, b=None)  # E
pa.ReLU(threshold="zero")  # E
s: int = pa.info()  # E
t: str = pa.get_num_threads()  # E
_core.use_isa(3)  # E
pa.relu(x, out=5)  # E
