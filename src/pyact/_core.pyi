# pyact._core: the compiled kernels (private; the pyact package is the API). Buffers are
# checked here (one float dtype, one size, contiguous, same layout, writeable out); the
# Python layer (pyact._arrays) enforces the public rules first.
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__version__: str

def kernel_names() -> list[str]:
    """Elementwise kernel names in id order."""
def has_bwd_y(kernel: int) -> bool:
    """Whether kernel ``kernel`` has a backward from the output."""
def forward(kernel: int, x: object, out: object, params: tuple[float, ...]) -> None:
    """out = f(x) elementwise; x and out contiguous with the same dtype and layout."""
def backward(kernel: int, from_y: bool, g: object, xy: object, out: object, params: tuple[float, ...]) -> None:
    """out = dL/dx from g = dL/dy and x (or y when from_y)."""
class Bound:
    """An elementwise kernel with bound parameters (the fast path)."""
    def __init__(self, kernel: int, params: Sequence[float]) -> None: ...
    def forward(self, x: object, out: object) -> NDArray[np.floating] | None:
        """f(x) into out (or a new array like x); None unless x and out are flat, matching
        and not partially overlapping."""
    def backward(self, g: object, xy: object, from_y: bool, out: object) -> NDArray[np.floating] | None:
        """dL/dx from g and x (or y when from_y) into out; None as for forward."""

def isa() -> str:
    """The ISA whose kernels run now."""
def use_isa(name: str) -> None:
    """Switch every later call to this ISA's kernels (tests; PYACT_ISA at import)."""
def isas_compiled() -> list[str]: ...
def isas_supported() -> list[str]: ...
def isas_available() -> list[str]: ...
def openmp() -> bool: ...
def openmp_runtime() -> str:
    """Path of the loaded OpenMP runtime ("" without OpenMP)."""
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def requested_num_threads() -> int: ...

# --- learnable family (src/cpp/bind_learnable.cpp) -----------------------------------
def learnable_names() -> list[str]:
    """Per-channel learnable kernel names in id order."""
def channel_forward(kind: int, x: NDArray[np.floating], out: NDArray[np.floating], params: NDArray[np.float64],
                    outer: int, channels: int, inner: int, nparams: int) -> None:
    """out = f(x; params) with x seen as (outer, channels, inner)."""
def channel_backward(kind: int, g: NDArray[np.floating], x: NDArray[np.floating], out: NDArray[np.floating],
                     params: NDArray[np.float64], outer: int, channels: int, inner: int,
                     nparams: int) -> NDArray[np.float64]:
    """out = dL/dx; returns dL/dparams (float64, reduced in the same pass)."""
def rrelu_forward(x: NDArray[np.floating], out: NDArray[np.floating], lower: float, upper: float, seed: int,
                  training: bool) -> None:
    """out = rrelu(x); element j of the C-order buffer draws its slope from (seed, j)."""
def rrelu_backward(g: NDArray[np.floating], x: NDArray[np.floating], out: NDArray[np.floating], lower: float,
                   upper: float, seed: int, training: bool) -> None:
    """out = dL/dx of rrelu, the slopes regenerated from (seed, j)."""
