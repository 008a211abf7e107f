# pyact._core: the compiled kernels (private; the pyact package is the API). Buffers are
# checked here (one float dtype, one size, contiguous, same layout, writeable out); the
# Python layer (pyact._arrays) enforces the public rules first.
from collections.abc import Sequence
from typing import Any

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

# --- declared ahead of merging, from the other families' branches (a test checks that
# every function this build has is declared; these are the ones it may not have yet) ---
# axis family (src/cpp/bind_axis.cpp)
def axis_ops() -> list[str]:
    """Kernels along an axis, in id order (dispatch/table.h AxisOp)."""
class AxisBound:
    """An axis kernel with bound parameter and axis (the fast path)."""
    def __init__(self, op: int, param: float, axis: int) -> None: ...
    def forward(self, x: object, out: object) -> NDArray[np.floating] | None:
        """op(x) along the axis into out (or a new array); None unless x is C-contiguous and out fits."""
    def backward(self, g: object, xy: object, out: object) -> NDArray[np.floating] | None:
        """dL/dx from g and y (softmax family) or x (glu, maxout); None as for forward."""
def axis_forward(op: int, x: NDArray[np.floating], out: NDArray[np.floating], outer: int, n: int, inner: int,
                 param: float = 0.0) -> None:
    """out = op(x) along the middle axis of x viewed as (outer, n, inner)."""
def axis_backward(op: int, g: NDArray[np.floating], xy: NDArray[np.floating], out: NDArray[np.floating], outer: int,
                  n: int, inner: int, param: float = 0.0) -> None:
    """out = dL/dx along the middle axis: from y for the softmax family, from x for glu and maxout."""
# fused family (src/cpp/bind_fused.cpp)
def bias_act(kernel: int, x: NDArray[np.floating], bias: NDArray[np.floating], out: NDArray[np.floating],
             pre: NDArray[np.floating] | None, params: tuple[float, ...], deriv: bool = False) -> None:
    """out = f(x + bias) (bias over the last axis); pre, unless None, receives x + bias, or f'(x + bias)
    with deriv=True (for bias_act_grad with source=2)."""
def bias_act_has_deriv(kernel: int) -> bool:
    """Whether bias_act(deriv=True) exists for this kernel (its forward and derivative share work)."""
def bias_act_grad(kernel: int, source: int, g: NDArray[np.floating], xy: NDArray[np.floating],
                  grad_x: NDArray[np.floating], grad_bias: NDArray[np.floating], params: tuple[float, ...]) -> None:
    """grad_x = f'(.) * g from xy: the pre-activation (source 0), y (1) or f' itself as kept by
    bias_act(deriv=True) (2); grad_bias = column sums of grad_x."""
# the trainer's fused optimiser step (src/cpp/optim.cpp)
def adam_step(param: NDArray[np.floating], grad: NDArray[np.floating], exp_avg: NDArray[np.floating],
              exp_avg_sq: NDArray[np.floating], lr: float, beta1: float, beta2: float, eps: float,
              weight_decay: float, step: int, bounds: NDArray[np.integer] | None = None,
              sq_out: NDArray[np.float64] | None = None) -> None:
    """One Adam step in place (torch.optim.Adam's rule; weight_decay is its coupled L2; step counts from 1).
    With bounds and sq_out: sq_out[k] = float64 sum of grad**2 over grad[bounds[k]:bounds[k+1]] (same pass)."""
def sgd_step(param: NDArray[np.floating], grad: NDArray[np.floating], momentum_buffer: NDArray[np.floating] | None,
             lr: float, momentum: float, nesterov: bool, weight_decay: float, first: bool,
             bounds: NDArray[np.integer] | None = None, sq_out: NDArray[np.float64] | None = None) -> None:
    """One SGD step in place (torch.optim.SGD's rule, dampening 0); first: the buffer's first step.
    With bounds and sq_out: sq_out[k] = float64 sum of grad**2 over grad[bounds[k]:bounds[k+1]] (same pass)."""
# accuracy sweeps (src/cpp/bind_accuracy.cpp)
def sweep_kernels() -> list[str]:
    """Kernel names that ulp_sweep has a reference for."""
def ulp_sweep(kernel: str, direction: str, dtype: str, start: int = 0, stop: int = 1 << 32, step: int = 1,
              isa: str | None = None, params: list[float] = ..., abs_tol: float = 0.0) -> dict[str, Any]:
    """Max ULP error of a kernel over a sweep of inputs against a double (float32) or long
    double (float64) reference; returns a dict (count, max_ulp, worst_x, ...)."""
