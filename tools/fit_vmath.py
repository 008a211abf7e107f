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


def p_ncdf(t):
    """Phi(-w) = t * exp(-w^2/2 + P(t)), t = 2/(2+w): the smooth remainder P."""
    w = 2 / t - 2
    return mp.log(mp.ncdf(-w) / t) + w * w / 2


def ncdf_pieces(edges, deg, kind):
    """Per piece [a, b]: its midpoint and the coefficients of P(mid + s)."""
    out = []
    for a, b in zip(edges, edges[1:]):
        mid = (a + b) / 2
        c, _ = fit(lambda s: p_ncdf(mid + s), a - mid, b - mid, deg)
        out.append((mid, c))
    for mid, c in out:
        if kind == "f":
            import numpy as np
            print(f"mid {float(np.float32(float(mid))).hex()}f:",
                  ", ".join(float(np.float32(float(x))).hex() + "f" for x in c))
        else:
            print(f"mid {float(mid).hex()}:", ", ".join(float(x).hex() for x in c))


if __name__ == "__main__":
    ncdf_pieces([mp.mpf(2) / 17, mp.mpf(1)], 12, "f")
    ncdf_pieces([mp.mpf(2) / 42, mp.mpf(1) / 4, mp.mpf(1) / 2, mp.mpf(3) / 4, mp.mpf(1)], 14, "d")


def q_ncdf(t):
    """Phi(-w) = t * Q(t) * exp(-w^2/2), t = 2/(2+w): the product form's Q (float)."""
    w = 2 / t - 2
    return mp.ncdf(-w) * mp.exp(w * w / 2) / t


def p_log1p(e):
    """log1p(e) = e + e^2 p(e) on [0, 1]: log1p_unit's p (float)."""
    return (mp.log1p(e) - e) / e**2 if e != 0 else mp.mpf(-0.5)


def fit_float_rounded(f, a, b, deg, npts=3000, lawson=30, origin=None, fixed=()):
    """Coefficients of f(mid + s), s = t - mid, rounded to float32 one at a time from the
    constant up, each rounding absorbed by refitting the rest (relative error, Lawson's
    reweighting towards minimax). mid is the interval's float32 midpoint, or `origin`;
    `fixed` gives the leading coefficients (f(a) = 0 at origin a: fixed=(0, f'(a))).
    Returns (mid, coeffs, max relative error / 2^-24)."""
    import numpy as np
    a, b = mp.mpf(a), mp.mpf(b)
    mid = float(np.float32(float((a + b) / 2) if origin is None else origin))
    ts = [a + (b - a) * (1 - mp.cos(mp.pi * i / (npts - 1))) / 2 for i in range(npts)]
    ts = [t for t in ts if f(t) != 0]
    ss = np.array([float(t - mid) for t in ts])
    fv = np.array([float(f(t)) for t in ts])
    V = np.vander(ss, deg + 1, increasing=True)
    fixed = [float(np.float32(c)) for c in fixed]
    for k in range(len(fixed), deg + 1):
        r = (fv - (V[:, :k] @ np.array(fixed) if k else 0)) / fv
        A = V[:, k:] / fv[:, None]
        wts = np.ones(len(ss))
        for _ in range(lawson):
            sw = np.sqrt(wts)
            c, *_ = np.linalg.lstsq(A * sw[:, None], r * sw, rcond=None)
            wts = wts * (np.abs(A @ c - r) + 1e-30)
            wts /= wts.sum()
        fixed.append(float(np.float32(c[0])))
    worst = 0.0
    for t in np.linspace(float(a), float(b), 20001):
        p = mp.mpf(0)
        for v in reversed(fixed):
            p = p * mp.mpf(float(np.float32(t) - np.float32(mid))) + mp.mpf(v)
        ref = f(mp.mpf(float(np.float32(t))))
        if ref != 0:
            worst = max(worst, float(abs(p / ref - 1)))
    return mid, fixed, worst / 2**-24


if __name__ == "__main__":
    # NcdfC<float>::q (degree 11 on [2/17, 1]: 0.33 * 2^-24) and q_grad (degree 8 on
    # [2/15, 1], the gradient's w <= 13: 3.7 * 2^-24).
    for lo, deg in ((mp.mpf(2) / 17, 11), (mp.mpf(2) / 15, 8)):
        mid, c, err = fit_float_rounded(q_ncdf, lo, 1, deg)
        print(f"Q mid {mid.hex()}f (err {err:.2f} * 2^-24):", ", ".join(v.hex() + "f" for v in c))
    # Log1pC<float>::unit, log1p_unit's p in s = e - 1/2 (degree 9 on [0, 1]: 0.9 * 2^-24).
    mid, c, err = fit_float_rounded(p_log1p, 0, 1, 9, npts=1500, lawson=20)
    print(f"log1p unit, mid {mid.hex()}f (err {err:.2f} * 2^-24):", ", ".join(v.hex() + "f" for v in c))



def poly32_table(f, first_exp, top, fixed):
    """A Poly32 table (vmath/tanh.h): f(lo + r) as a degree-5 polynomial in r over each of
    32 intervals of |x|, [2^e (1 + q/4), 2^e (1 + (q+1)/4)) for the 8 binades e from
    first_exp and q = 0..3, the first widened down to 0 (its leading coefficients `fixed`,
    f(0) = 0 and on), the last cut at `top` (intervals past it: 1, 0, ...; not reached).
    Prints the argument of slotted<first_exp> (the rows c0..c5, each over the 32
    intervals; lo follows from first_exp) and the largest relative fit error."""
    import numpy as np
    rows = []
    for k in range(32):
        e, q = first_exp + k // 4, k % 4
        lo, hi = 2.0**e * (1 + q / 4), min(2.0**e * (1 + (q + 1) / 4), top)
        if k == 0:
            lo = 0.0
        if lo >= hi:
            rows.append((lo, [1.0] + [0.0] * 5, 0.0))
            continue
        _, c, err = fit_float_rounded(f, lo, hi, 5, npts=1500, lawson=20, origin=lo,
                                      fixed=fixed if k == 0 else ())
        rows.append((lo, c, err))
    print(f"max relative fit error {max(r[2] for r in rows):.2f} * 2^-24")

    def hexf(v):
        if v == 0:
            return "0.0f"
        mant, exp = float(np.float32(v)).hex().split("p")
        return mant.rstrip("0").rstrip(".") + "p" + exp + "f"

    def wrapped(vals, end):
        lines, cur = [], ""
        for v in vals:
            if len(cur) + len(v) > 88:
                lines.append(cur.rstrip())
                cur = ""
            cur += v + ", "
        lines.append(cur.rstrip(", ") + end)
        return "\n".join("    " + line for line in lines)

    print("({")
    for j in range(6):
        print("  {")
        print(wrapped([hexf(r[1][j]) for r in rows], "}});" if j == 5 else "},"))


if __name__ == "__main__":
    # tanh on AVX-512 (kTanhTable): binades from 2^-4, clamped at 9.1; c0 = 0, c1 = 1, so
    # that a tiny |x| is its own result. Fit error 0.66 * 2^-24.
    poly32_table(mp.tanh, -4, 9.1, (0, 1))
    # tanhshrink, |x| - tanh|x| (kTanhshrinkTable): binades from 2^-5 up to 8 (from there
    # on the result is |x| - 1); c0 = c1 = c2 = 0. Fit error 1.02 * 2^-24.
    poly32_table(lambda t: t - mp.tanh(t), -5, 8, (0, 0, 0))
    # gelu on AVX-512 (kMillsTable): R(w) = Phi(-w) e^(w^2/2) for w in [0, 15], binades
    # from 2^-4. Fit error 1.03 * 2^-24.
    poly32_table(lambda w: mp.ncdf(-w) * mp.exp(w * w / 2), -4, 15, ())
