"""Floating-point state (SPEC §2): pyact never leaves flush-to-zero / denormals-are-zero
or a changed rounding mode in the caller's thread (not at import, not after any call,
not after an error), keeps whatever state the caller chose, and computes denormal inputs
correctly on every ISA.

On x86-64 the SSE control register MXCSR is read and written directly with two
4-byte machine-code functions (stmxcsr/ldmxcsr) placed in an executable page through
ctypes; elsewhere (or where W+X pages are refused) those checks skip, and the NumPy
behaviour checks (a denormal survives a multiplication) still run.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import platform
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog, _core, fused

from conftest import catalog, example_params
from reference import REF
from refcheck import assert_matches, compute_params, expected_forward

FTZ, DAZ, ROUND_MASK, ROUND_UP = 0x8000, 0x0040, 0x6000, 0x4000
CONTROL = 0xFFC0  # MXCSR's control bits; bits 0-5 are sticky exception flags any arithmetic sets
ACTS = [a for a in catalog() if a.name in REF]

_MXCSR_SRC = """
import ctypes, mmap
_page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
_page.write(bytes([0x0F, 0xAE, 0x1F, 0xC3, 0x0F, 0xAE, 0x17, 0xC3]))  # stmxcsr [rdi]; ret / ldmxcsr [rdi]; ret
_addr = ctypes.addressof(ctypes.c_char.from_buffer(_page))
_fn = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_uint32))
_st, _ld = _fn(_addr), _fn(_addr + 4)
def get_mxcsr():
    v = ctypes.c_uint32(0); _st(ctypes.byref(v)); return v.value
def set_mxcsr(value):
    v = ctypes.c_uint32(value); _ld(ctypes.byref(v))
"""


def _mxcsr():
    """(get, set) for this thread's MXCSR, or None where that cannot be done."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    ns: dict = {}
    try:
        exec(_MXCSR_SRC, ns)  # noqa: S102 - fixed source above
        ns["get_mxcsr"]()
    except (OSError, ValueError, TypeError, AttributeError):  # no W+X pages, no mmap prot=
        return None
    return ns["get_mxcsr"], ns["set_mxcsr"]


MXCSR = _mxcsr()
needs_mxcsr = pytest.mark.skipif(MXCSR is None, reason="MXCSR is readable only on x86-64 with W+X pages allowed")


def _denormals_survive() -> bool:
    """NumPy in this thread keeps a denormal through a multiply (no FTZ/DAZ)."""
    with np.errstate(all="ignore"):
        t32 = np.array([np.finfo(np.float32).smallest_subnormal], np.float32)
        t64 = np.array([np.finfo(np.float64).smallest_subnormal])
        return bool((t32 * np.float32(1.0))[0] != 0 and (t64 * 1.0)[0] != 0)


def _run_everything() -> None:
    """Every catalog activation with a reference, forward and backward, every dtype,
    a size that uses several threads, plus an error raised from the array checks."""
    with pa.threads(2):
        for act in ACTS:
            p = example_params(act)
            for dt in (np.float16, np.float32, np.float64):
                x = np.linspace(-10, 10, 1 << 18).astype(dt)
                x[:3] = [np.finfo(dt).smallest_subnormal, -np.finfo(dt).smallest_subnormal, np.nan]
                pa.get(act.name, **p)(x)
                pa.grad(act.name, np.ones_like(x), x=x, **p)
                with pytest.raises((ValueError, TypeError)):
                    pa.get(act.name, **p)(x, out=np.empty(3, dt))


def test_denormals_survive_numpy_after_calls():
    assert _denormals_survive(), "FTZ/DAZ already on before pyact ran"
    _run_everything()
    assert _denormals_survive(), "pyact left flush-to-zero / denormals-are-zero on"


@needs_mxcsr
def test_mxcsr_unchanged_by_calls():
    get, _ = MXCSR
    before = get() & CONTROL
    _run_everything()
    after = get() & CONTROL
    assert after == before, f"MXCSR control {before:#06x} -> {after:#06x}"


@needs_mxcsr
def test_caller_state_kept():
    """A caller that chose FTZ+DAZ and upward rounding gets them back unchanged."""
    get, set_ = MXCSR
    before = get()
    chosen = (before & ~ROUND_MASK) | FTZ | DAZ | ROUND_UP
    try:
        set_(chosen)
        _run_everything()
        after = get() & CONTROL
    finally:
        set_(before)
    assert after == chosen & CONTROL, f"MXCSR set to {chosen:#06x} by the caller, {after:#06x} after pyact"


def test_rounding_mode_kept():
    """fesetround(FE_UPWARD) in the caller survives pyact calls (libm's view)."""
    libm_name = ctypes.util.find_library("m")
    if platform.machine().lower() not in ("x86_64", "amd64") or libm_name is None:
        pytest.skip("FE_UPWARD's value is known here for x86-64 glibc only")
    libm = ctypes.CDLL(libm_name)
    fe_upward = 0x800
    old = libm.fegetround()
    assert libm.fesetround(fe_upward) == 0
    try:
        _run_everything()
        now = libm.fegetround()
    finally:
        libm.fesetround(old)
    assert now == fe_upward, f"rounding mode {fe_upward:#x} -> {now:#x}"


@needs_mxcsr
def test_import_leaves_mxcsr_alone():
    """Importing pyact (loading _core and OpenMP) does not switch FTZ/DAZ on, as a
    library built with -ffast-math (crtfastmath.o) would."""
    code = _MXCSR_SRC + textwrap.dedent("""
        before = get_mxcsr()
        import numpy as np
        import pyact as pa
        pa.relu(np.ones(100000, np.float32))
        print(before, get_mxcsr())
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    before, after = map(int, r.stdout.split())
    assert before & CONTROL == after & CONTROL, f"MXCSR {before:#06x} before import pyact, {after:#06x} after"


def test_detour_where_the_cpu_takes_assists():
    """The detour runs on Intel CPUs (microcode assists on denormal operands), not on AMD's
    (dispatch/cpu.cpp), and pa.info() says which."""
    vendor = ""
    try:
        with open("/proc/cpuinfo") as f:
            vendor = next((ln.split(":")[1].strip() for ln in f if ln.startswith("vendor_id")), "")
    except OSError:
        pass
    if vendor not in ("GenuineIntel", "AuthenticAMD"):
        pytest.skip(f"CPU vendor {vendor!r}")
    assert pa.info()["denormal_detour"] is (vendor == "GenuineIntel")


@pytest.fixture(params=[1, 0], ids=["detour", "formula"])
def assists(request):
    """Each way the elementwise driver takes a denormal x (kernels/apply.h): around the
    formula, as on a CPU whose multiplies take a microcode assist on denormals (Intel,
    AVX-512), or through it (AMD, and every ISA without a cheap denormal test)."""
    _core._set_denormal_assists(request.param)
    yield request.param
    _core._set_denormal_assists(-1)


def _subnormals(dtype) -> np.ndarray:
    fi = np.finfo(dtype)
    tiny, small = float(fi.smallest_subnormal), float(fi.smallest_normal)
    v = np.array([tiny, 2 * tiny, 3 * tiny, small / 2, small - tiny, small / 3, small])
    return np.concatenate([v, -v, [0.0, -0.0]]).astype(dtype)


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_denormal_inputs(act, isa, dtype, assists):
    """Denormal x (and x at the parameters scaled into the denormal range) give the
    reference's result, forward and backward, on every ISA."""
    p = example_params(act)
    x = np.tile(_subnormals(dtype), 5)  # long enough for the full-vector path
    g = np.ones_like(x)
    a = pa.get(act.name, **p)
    assert_matches(a(x), act.name, x, p, shift=0, what=f"{act.name} fwd {dtype} {isa}")
    assert_matches(a.backward(g, x=x), act.name, x, p, g=g, shift=0, what=f"{act.name} bwd {dtype} {isa}")
    gd = _subnormals(dtype)[np.arange(x.size) % 7]  # denormal grad_out too
    assert_matches(a.backward(gd, x=x), act.name, x, p, g=gd, shift=0, what=f"{act.name} bwd(g denormal) {dtype}")
    ep = fused._epilogue(act.name, p)
    if ep.keeps_deriv:  # the trainer's forward that keeps f' (gelu, swish)
        d = np.empty_like(x)
        y = ep.forward(x[None], np.zeros(x.size, x.dtype), None, pre=d[None], deriv=True)[0]
        assert_matches(y, act.name, x, p, shift=0, what=f"{act.name} fwd with f' {dtype} {isa}")
        assert_matches(d, act.name, x, p, g=g, shift=0, what=f"{act.name} f' kept {dtype} {isa}")


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_denormal_lanes_beside_normal_ones(act, isa, dtype, assists):
    """Vectors that mix denormal or tiny x (or g) with other lanes, as real data has them
    (on AVX-512 such a vector takes the driver's detour, apply.h): every lane matches the
    reference, and every lane has the bits it gets in an array of its own kind only (the
    denormals and zeros apart, the other values apart): a lane's result never depends on
    its neighbours."""
    rng = np.random.default_rng(5)
    n = 1013  # unrolled groups, single vectors and a padded tail
    mags = TINY[np.float32 if dtype != np.float64 else np.float64]
    sub = np.concatenate([_subnormals(dtype), np.array(mags + [-m for m in mags]).astype(dtype)])  # tiny normals too
    x = (rng.standard_normal(n) * 3).astype(dtype)
    tiny_x = rng.random(n) < 0.3
    x[tiny_x] = rng.choice(sub, int(tiny_x.sum()))
    g = rng.standard_normal(n).astype(dtype)
    tiny_g = rng.random(n) < 0.2
    g[tiny_g] = rng.choice(sub, int(tiny_g.sum()))
    p = example_params(act)
    a = pa.get(act.name, **p)
    u = f"u{x.dtype.itemsize}"
    y = a(x)
    assert_matches(y, act.name, x, p, shift=0, what=f"{act.name} fwd mixed {dtype} {isa}")
    for lanes in (tiny_x, ~tiny_x):
        np.testing.assert_array_equal(y[lanes].view(u), a(x[lanes]).view(u), err_msg=f"{act.name} fwd")
    # A denormal x whose result rounds to 0 gives the reference's sign (f(x) = f'(0) x near
    # 0: gelu's x/2 at the smallest denormal is -0 for a negative x). (Not tanhshrink: its
    # float64 reference x - tanh x cancels to +0 there, where x^3/3 has x's sign.)
    ref = expected_forward(act.name, x, compute_params(p, y.dtype)).astype(y.dtype)
    zero = tiny_x & (x != 0) & (ref == 0) & (y == 0) & (act.name != "tanhshrink")
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(ref[zero]), err_msg=f"{act.name} sign of 0")
    gx = a.backward(g, x=x)
    assert_matches(gx, act.name, x, p, g=g, shift=0, what=f"{act.name} bwd mixed {dtype} {isa}")
    for lanes in (tiny_x | tiny_g, ~(tiny_x | tiny_g)):
        np.testing.assert_array_equal(gx[lanes].view(u), a.backward(g[lanes], x=x[lanes]).view(u),
                                      err_msg=f"{act.name} bwd")
    if a.y_ok:  # from y, a denormal g takes the driver's detour too (apply.h, grad_detour)
        gy = a.backward(g, y=y)
        if dtype != np.float16:  # y keeps 11 bits there: f'(y) is only as exact as y (test_backward.py)
            assert_matches(gy, act.name, x, p, g=g, shift=0, what=f"{act.name} bwd from y mixed {dtype} {isa}")
        for lanes in (tiny_g, ~tiny_g):
            np.testing.assert_array_equal(gy[lanes].view(u), a.backward(g[lanes], y=y[lanes]).view(u),
                                          err_msg=f"{act.name} bwd from y")


def _all_denormals32() -> np.ndarray:
    """Every float32 denormal, both signs (2 x 2^23 - 2 values)."""
    bits = np.arange(1, 1 << 23, dtype=np.uint32)
    return np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32)


def test_denormals_exact_where_the_kernel_reroutes_them(isa, assists):
    """tanh and softsign send a denormal x around their division (a denormal operand is
    slow); every float32 denormal still gives x itself (x/(1 + |x|) = x/1). leaky_relu:
    slope x as NumPy's multiply rounds it (AVX-512 forms it from the integer significand). hard_swish:
    x (x + 3) / 6 rounded twice as the formula is written (NumPy: 3x rounded to float32,
    the quotient in float64, never a half on the float32 grid, rounded to float32).
    float64: random denormals against exact fractions."""
    x = _all_denormals32()
    for name in ("tanh", "softsign"):
        np.testing.assert_array_equal(getattr(pa, name)(x).view(np.uint32), x.view(np.uint32), err_msg=name)
    for slope in (0.01, 1 / 3, 1.7, -0.5):  # slope x correctly rounded, its sign on a 0 too
        want = np.where(x > 0, x, np.float32(slope) * x)
        got = pa.leaky_relu(x, negative_slope=slope)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32), err_msg=f"leaky_relu {slope}")
    p3 = (3.0 * x.astype(np.float64)).astype(np.float32)  # x + 3 rounds to 3
    want = (p3.astype(np.float64) / 6.0).astype(np.float32)
    np.testing.assert_array_equal(pa.hard_swish(x).view(np.uint32), want.view(np.uint32))
    rng = np.random.default_rng(3)
    bits = rng.integers(1, 1 << 52, 100_000, dtype=np.uint64) | (rng.integers(0, 2, 100_000, dtype=np.uint64) << 63)
    xd = bits.view(np.float64)
    for name in ("tanh", "softsign"):
        np.testing.assert_array_equal(getattr(pa, name)(xd).view(np.uint64), bits, err_msg=name)
    for slope in (0.01, 1 / 3, 1.7, -0.5):
        want = np.where(xd > 0, xd, slope * xd)
        got = pa.leaky_relu(xd, negative_slope=slope)
        np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64), err_msg=f"leaky_relu {slope}")
    # Fraction -> float rounds correctly: 3x rounded, then the quotient rounded.
    want64 = np.array([float(Fraction(float(Fraction(v) * 3)) / 6) for v in xd.tolist()])
    np.testing.assert_array_equal(pa.hard_swish(xd).view(np.uint64), want64.view(np.uint64))


def test_denormal_grad_times_slope_exact(isa, assists):
    """A denormal g times f' (apply.h times_tiny, on AVX-512 around the multiply): the
    multiply's bits, as NumPy rounds g * slope, on every float32 denormal g, with slopes
    whose products stay denormal (0.01, -0.5), cross 2^-126 (1.7, 3) or overflow past it
    to large normals (2^20); float64 on random denormals. exponential' (g e^x): e^x = inf
    gives inf, a NaN x NaN."""
    g = _all_denormals32()
    x = np.full(g.size, -1.0, np.float32)
    for slope in (0.01, -0.5, 1.7, 3.0, 2.0**20):
        want = np.float32(slope) * g
        got = pa.get("leaky_relu", negative_slope=slope).backward(g, x=x)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32), err_msg=f"leaky_relu' {slope}")
    rng = np.random.default_rng(4)
    bits = rng.integers(1, 1 << 52, 100_000, dtype=np.uint64) | (rng.integers(0, 2, 100_000, dtype=np.uint64) << 63)
    gd = bits.view(np.float64)
    for slope in (0.01, -0.5, 1.7, 3.0, 2.0**40):
        got = pa.get("leaky_relu", negative_slope=slope).backward(gd, x=np.full(gd.size, -1.0))
        np.testing.assert_array_equal(got.view(np.uint64), (slope * gd).view(np.uint64), err_msg=f"leaky_relu' {slope}")
    for dt in (np.float32, np.float64):
        tiny = np.finfo(dt).smallest_subnormal
        gx = np.array([tiny, -tiny] * 8, dt)
        xx = np.array([1000.0, 1000.0, np.nan, np.nan] * 4, dt)
        got = pa.grad("exponential", gx, x=xx)
        np.testing.assert_array_equal(got[0::4], np.inf)
        np.testing.assert_array_equal(got[1::4], -np.inf)
        assert np.isnan(got[2::4]).all() and np.isnan(got[3::4]).all()


def _float32_between(lo: float, hi: float, step: int = 1) -> np.ndarray:
    """Every step-th float32 from lo to hi (same sign)."""
    a, b = sorted(np.array([lo, hi], np.float32).view(np.int32).tolist())
    return np.arange(a, b + 1, step, dtype=np.int64).astype(np.int32).view(np.float32)


# Where a forward's result is a denormal (kernels/apply.h, the underflow detour): per
# activation, the band of x in float32 and float64.
UNDERFLOW_BANDS = {"exponential": ((-104.5, -86.5), (-746.5, -707.5)),
                   "gelu": ((-15.5, -12.5), (-40.5, -36.5)),
                   "log_sigmoid": ((86.5, 104.5), (707.5, 746.5))}


@pytest.mark.parametrize("name", sorted(UNDERFLOW_BANDS))
def test_denormal_results_through_the_underflow_detour(name, isa):
    """x whose result is a denormal (on Intel the driver computes those vectors without
    the microcode assist, apply.h's underflow detour): the reference's result within
    SPEC §5, float32 on every 151st float of the band and float64 on random x; and the
    same bits as the formula run straight (no detour; NaN: a NaN), lanes of the band
    beside ordinary ones, NaN and ±inf included."""
    (lo32, hi32), (lo64, hi64) = UNDERFLOW_BANDS[name]
    rng = np.random.default_rng(5)
    ordinary = np.array([0.5, -2.0, np.nan, np.inf, -np.inf, 30.0, -300.0, 0.0])
    for dt, x in ((np.float32, _float32_between(lo32, hi32, 151)), (np.float64, rng.uniform(lo64, hi64, 15_000))):
        mixed = x.copy()
        mixed[::5] = ordinary[np.arange(mixed[::5].size) % ordinary.size]
        for xs in (x.astype(dt), mixed.astype(dt)):
            got = {}
            for way in (1, 0):
                _core._set_denormal_assists(way)
                try:
                    got[way] = pa.get(name)(xs)
                finally:
                    _core._set_denormal_assists(-1)
            assert_matches(got[1], name, xs, {}, shift=0, what=f"{name} {np.dtype(dt).name} {isa}")
            u = np.uint32 if dt == np.float32 else np.uint64
            nan = np.isnan(got[0])
            np.testing.assert_array_equal(np.isnan(got[1]), nan)
            np.testing.assert_array_equal(got[1][~nan].view(u), got[0][~nan].view(u), err_msg=f"{name} {np.dtype(dt).name} detour")
        assert np.count_nonzero((got[1] != 0) & (np.abs(got[1]) < np.finfo(dt).smallest_normal)) > 1000


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_hard_swish_backward_divides_exactly(isa, dt, assists):
    """hard_swish' = x/3 + 1/2 on [-3, 3] is computed without a division where there is
    an FMA (piecewise.h div_exact): the bits of NumPy's x / 3 + 0.5, on every float32
    denormal and 2^22 random bit patterns of |x| <= 3 (float64: 10^6). The whole float32
    range [-3, 3] was checked once by hand (2.1e9 values, no difference)."""
    rng = np.random.default_rng(11)
    if dt == np.float32:
        three = int(np.float32(3).view(np.uint32))
        bits = rng.integers(0, three + 1, 1 << 22, dtype=np.uint64).astype(np.uint32)
        x = np.concatenate([(bits | (rng.integers(0, 2, bits.size, dtype=np.uint32) << 31)).view(np.float32),
                            _all_denormals32()])
    else:
        three = int(np.float64(3).view(np.uint64))
        bits = rng.integers(0, three + 1, 10**6, dtype=np.uint64)
        x = (bits | (rng.integers(0, 2, bits.size, dtype=np.uint64) << np.uint64(63))).view(np.float64)
    want = x / dt(3) + dt(0.5)
    got = pa.grad("hard_swish", np.ones_like(x), x=x)
    np.testing.assert_array_equal(got, want)


def test_hard_swish_backward_outer_piece_is_plus_zero(isa, dtype, assists):
    """hard_swish' is 0 up to -3 whatever g is: +0 (PyTorch's), for a negative denormal g
    too (the detour had made it g * 0 = -0)."""
    g = -_subnormals(dtype)[:7][np.arange(64) % 7]
    got = pa.grad("hard_swish", g, x=np.full(64, -4.0, dtype))
    np.testing.assert_array_equal(got.view(f"u{got.dtype.itemsize}"), 0)


TINY = {np.float32: [1e-12, 1e-15, 2.7e-20, 1e-25, 1e-30, 1e-35], np.float64: [1e-100, 1e-155, 1e-200, 1e-250, 1e-300]}


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_tiny_inputs(act, isa, dtype, assists):
    """Tiny normal x, where x^2 and the polynomials' products underflow (the kernels form
    those products with an FMA, as fast and with the same bits): the reference's result."""
    p = example_params(act)
    mags = TINY[np.float32 if dtype != np.float64 else np.float64]
    x = np.tile(np.array(mags + [-m for m in mags]), 4).astype(dtype)
    g = np.ones_like(x)
    a = pa.get(act.name, **p)
    assert_matches(a(x), act.name, x, p, shift=0, what=f"{act.name} fwd tiny {dtype} {isa}")
    assert_matches(a.backward(g, x=x), act.name, x, p, g=g, shift=0, what=f"{act.name} bwd tiny {dtype} {isa}")


def test_flat_backward_keeps_large_g(assists):
    """tanhshrink' = tanh^2 x is a normal number at a tiny normal x (1e-30 at 1e-15), so g f'
    is not 0 for a large g, though the forward there rounds to 0 (the detour's band)."""
    for dt in (np.float32, np.float64):
        x = np.full(40, 1e-15, dt)
        g = np.full(40, 1e30, dt)
        np.testing.assert_allclose(pa.grad("tanhshrink", g, x=x), np.tanh(1e-15) ** 2 * 1e30, rtol=1e-6)


def test_catalog_covered():
    """Every elementwise entry is checked here or has no reference yet (said why)."""
    missing = [a.name for a in catalog() if a.name not in REF]
    assert all(a.family for a in _catalog.CATALOG)
    if missing:
        pytest.skip(f"no float64 reference in tests/reference.py for: {', '.join(missing)}")
