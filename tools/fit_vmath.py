"""Polynomial coefficients for src/cpp/vmath, as hex floats.

Near-minimax fits (Chebyshev interpolation in mpmath at 40 digits) of the smooth
remainder functions that the vmath kernels evaluate with Horner's rule. Rerun with
    python tools/fit_vmath.py
and paste the lists into the headers; the measured ULP is what docs/ACCURACY.md reports.
"""
import mpmath as mp

mp.mp.dps = 40


def fit(f, a, b, deg):
    coeffs, err = mp.chebyfit(f, [a, b], deg + 1, error=True)
    return list(reversed(coeffs)), err  # ascending powers


def show(name, coeffs, err, kind):
    if kind == "f":
        vals = [float(mp.mpf(c)) for c in coeffs]
        import numpy as np
        vals = [float(np.float32(v)) for v in vals]
        s = ", ".join(f"{v.hex()}f" for v in vals)
    else:
        s = ", ".join(f"{float(c).hex()}" for c in coeffs)
    print(f"{name} ({kind}, err {mp.nstr(err, 3)}): {s}")


def q_exp(r):  # e^r = 1 + r + r^2 q(r)
    return (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2


def q_expm1(r):  # expm1(r) = r + r^2/2 + r^3 q(r)
    return (mp.expm1(r) - r - r**2 / 2) / r**3 if r != 0 else mp.mpf(1) / 6


if __name__ == "__main__":
    h = mp.log(2) / 2 * 1.0001
    for deg, kind in ((4, "f"), (9, "d")):
        show("exp q", *fit(q_exp, -h, h, deg), kind)
    for deg, kind in ((4, "f"), (9, "d")):
        show("expm1 q", *fit(q_expm1, -h, h, deg), kind)
