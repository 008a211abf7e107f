"""Smoke run of every elementwise kernel of every ISA this CPU offers, for
tests/test_qemu.py (run under ``qemu-x86_64 -cpu <model>``, so an instruction of a
higher ISA outside its dispatched function dies as an illegal instruction).

    python tests/qemu_smoke.py [--isas sse4,avx2]

Prints ``ISA <chosen at import>``, one ``DIGEST <isa> <sha256>`` per ISA run (the bits of
every result, to compare an emulated CPU with the real one), then ``N passed, N failed``
(values against tests/reference.py's float64 references).
"""
from __future__ import annotations

import hashlib
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import pyact as pa  # noqa: E402
from pyact import _catalog, _core  # noqa: E402
from reference import REF  # noqa: E402

PARAMS = {"threshold": {"threshold": 0.5, "value": -2.0}}
LENGTHS = (1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 1000)
RTOL = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}


def _inputs(dtype) -> np.ndarray:
    x = np.linspace(-9.0, 9.0, 1000)
    x[:8] = [0.0, -0.0, 1e-300, -1e-300, 7.0, -7.0, 40.0, -40.0]
    return x.astype(dtype)


def _close(got: np.ndarray, want: np.ndarray, dtype) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):  # exponential overflows float16: inf == inf
        want = want.astype(dtype).astype(np.float64)
        got = got.astype(np.float64)
        tol = RTOL[dtype] * np.maximum(1.0, np.abs(want))
        return bool(np.all((got == want) | (np.abs(got - want) <= tol) | (np.isnan(got) & np.isnan(want))))


def run(isa: str) -> tuple[int, int, str]:
    _core.use_isa(isa)
    digest = hashlib.sha256()
    passed = failed = 0
    for act in _catalog.CATALOG:
        if act.family != "elementwise" or act.name not in REF:
            continue
        f, df = REF[act.name]
        params = PARAMS.get(act.name, {})
        for dtype in (np.float16, np.float32, np.float64):
            x = _inputs(dtype)
            x64 = x.astype(np.float64)
            with np.errstate(all="ignore"):
                want_y = f(x64, **params)
            # g from IEEE-exact operations only: NumPy's own cos/exp pick CPU-specific
            # SIMD code, whose last bits would differ between the emulated and real CPU.
            g = (1.0 / (1.0 + x64 * x64)).astype(dtype)
            for n in LENGTHS:
                y = getattr(pa, act.name)(x[:n], **params)
                gx = pa.grad(act.name, g[:n], x=x[:n], **params)
                digest.update(y.tobytes() + gx.tobytes())
                ok = _close(y, want_y[:n], dtype) and _close(gx, (g[:n].astype(np.float64) * df(x64[:n], **params)), dtype)
                passed, failed = passed + ok, failed + (not ok)
                if not ok:
                    print(f"FAIL {isa} {act.name} {np.dtype(dtype).name} n={n}")
            # Many threads through parallel_for on a long array: same bits as the slices.
            big = np.tile(x, 80)
            with pa.threads(2):
                yb = getattr(pa, act.name)(big, **params)
            ok = np.array_equal(yb[:1000], getattr(pa, act.name)(x, **params), equal_nan=True)
            passed, failed = passed + ok, failed + (not ok)
    # The other families (axis, learnable, ...): their default objects run every ISA's
    # kernels too; the digest compares them with the native CPU's bits.
    x2 = _inputs(np.float32)[10:].reshape(33, 3, 10)
    for act in _catalog.CATALOG:
        if act.family == "elementwise":
            continue
        np.random.seed(1234)  # a seed=None default (rrelu) draws the same seed every run
        try:
            obj = pa.get(act.name)
        except (TypeError, ValueError):
            continue  # needs parameters this smoke run does not invent
        for dtype in (np.float32, np.float64):
            x = x2.astype(dtype)
            y = obj(x)
            gx = obj.backward(1 / (1 + y * y), x=x)
            digest.update(y.tobytes() + gx.tobytes() + b"".join(np.asarray(v).tobytes() for v in obj.grads.values()))
            ok = y.dtype == dtype and gx.shape == x.shape
            passed, failed = passed + ok, failed + (not ok)
    return passed, failed, digest.hexdigest()


def main(argv: list[str]) -> int:
    print(f"ISA {pa.info()['isa']}", flush=True)
    isas = _core.isas_available()
    if "--isas" in argv:
        isas = [i for i in argv[argv.index("--isas") + 1].split(",") if i in isas]
    total_p = total_f = 0
    for isa in isas:
        p, f, d = run(isa)
        print(f"DIGEST {isa} {d}", flush=True)
        total_p, total_f = total_p + p, total_f + f
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
