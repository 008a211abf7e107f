"""numpydoc docstrings of the generated functions, built from the catalog entry, so a
new activation documents itself (formula, parameters, defaults, an example)."""
from __future__ import annotations

from ._catalog import REQUIRED, Act

__all__ = ["function_doc", "signature"]


def _type(q) -> str:
    d = q.default
    if isinstance(d, bool):
        return "bool"
    if isinstance(d, str):
        return "str"
    if isinstance(d, int):
        return "int"
    if d is None:
        return "float or None"
    if isinstance(d, float) or d is REQUIRED:
        return "float"
    return "float or array_like"


def _default(q) -> str:
    return "required" if q.default is REQUIRED else f"default {q.default!r}"


def signature(act: Act) -> str:
    params = ", ".join(q.name if q.default is REQUIRED else f"{q.name}={q.default!r}" for q in act.params)
    return f"{act.name}(x, *, out=None{', ' + params if params else ''})"


def _example_params(act: Act) -> str:
    # 2 is valid for every required parameter so far (threshold, value, pieces, shared alpha).
    return "".join(f", {q.name}=2" for q in act.params if q.default is REQUIRED)


def function_doc(act: Act) -> str:
    """The numpydoc docstring of ``pa.<act.name>``."""
    y_ok = act.y_ok if isinstance(act.y_ok, bool) else None
    lines = [
        signature(act), "",
        f"The {act.name} activation{' (aliases: ' + ', '.join(act.aliases) + ')' if act.aliases else ''}:",
        "", f"    f(x) = {act.formula}", "",
        "Parameters", "----------",
        "x : array_like",
        "    Input: float16/float32/float64 (integers and bool as ``np.exp`` would convert them),",
        "    any shape and strides, or a Dask array (a lazy Dask array is returned).",
        "out : ndarray, optional",
        "    Where to write the result (may be ``x``); same shape and dtype as the result.",
    ]
    for q in act.params:
        alias = f" (alias: {', '.join(q.aliases)})" if q.aliases else ""
        lines += [f"{q.name} : {_type(q)}{alias}, {_default(q)}"]
        if q.doc:
            lines += [f"    {q.doc}"]
    lines += [
        "", "Returns", "-------", "ndarray",
        "    f(x), of x's shape and float dtype (``out`` when given).", "",
        "See Also", "--------",
        f"pyact.grad : dL/dx, ``pa.grad('{act.name}', g, x=x)``"
        + ("" if y_ok is False else " (or from the output, ``y=``, where ``act.y_ok``)") + ".",
        f"pyact.{act.cls} : the same activation as an object.", "",
        "Examples", "--------",
        ">>> import numpy as np, pyact as pa",
        ">>> x = np.linspace(-3, 3, 8, dtype=np.float32).reshape(2, 4)",
        f">>> y = pa.{act.name}(x{_example_params(act)})",
    ]
    if act.family == "elementwise":
        lines += [">>> y.shape, y.dtype", "((2, 4), dtype('float32'))",
                  f">>> g = pa.grad('{act.name}', np.ones_like(x), x=x{_example_params(act)})"]
    return "\n".join(lines)
