"""Writes the cases the C++ kernel self-test (selftest.cpp) checks: for each elementwise
catalog entry with a reference in tests/reference.py, its kernel name, encoded
parameters, inputs and float64 reference values (f, and g*f' with g = cos x), as C99 hex
floats, so the self-test needs no Python or NumPy where it runs (qemu-aarch64).

    python tests/cpp/make_selftest_data.py > cases.txt
"""
from __future__ import annotations

import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from reference import REF  # noqa: E402

from pyact import _catalog  # noqa: E402  (the pyact importable here: its catalog)
from pyact.activations import resolve_params  # noqa: E402

PARAMS = {"threshold": {"threshold": 0.5, "value": -2.0}}


def inputs() -> np.ndarray:
    """Values exact in float32 too (so one list serves both dtypes): a sweep, ±0, ±inf,
    NaN, float32 denormals, huge magnitudes."""
    x = np.linspace(-9.0, 9.0, 301)
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 1e-30, 40.0, -40.0, 3e38, -3e38]
    return np.concatenate([specials, x]).astype(np.float32).astype(np.float64)


def _hex(a) -> str:
    return " ".join(float(v).hex() for v in a)


def main() -> None:
    x = inputs()
    out = []
    for act in _catalog.CATALOG:
        if act.family != "elementwise" or act.name not in REF:
            continue
        params = resolve_params(act, PARAMS.get(act.name, {}))
        f, df = REF[act.name]
        given = PARAMS.get(act.name, {})
        with np.errstate(all="ignore"):
            y, d = f(x, **given), df(x, **given)
            g = np.cos(np.nan_to_num(x, posinf=0.0, neginf=0.0)).astype(np.float32).astype(np.float64)
            dx = g * d
        y[np.isnan(x)] = dx[np.isnan(x)] = np.nan  # SPEC §2: NaN in, NaN out, both ways
        enc = act.encode(act, params)
        out.append(f"case {act.name} {act.kernel_for(params)} {int(act.y_ok_for(params))} {len(enc)} {_hex(enc)}")
        out += [f"x {len(x)} {_hex(x)}", f"g {_hex(g)}", f"y {_hex(y)}", f"dx {_hex(dx)}"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
