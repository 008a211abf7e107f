"""pa.bias_act / pa.bias_act_grad (SPEC §7): every elementwise catalog entry against the
float64 references of tests/reference.py, the NaN rule, bit identity across thread counts
and positions, the array rules, and the fallback for non-kernel activations."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from pyact.fused import _epilogue
from cases import parameter_forms
from conftest import catalog, example_params
from reference import REF
from ulp import assert_close_ulp

ELEMENTWISE = catalog()
IDS = [a.name for a in ELEMENTWISE]
EPS = {np.dtype(np.float16): 2.0 ** -10, np.dtype(np.float32): 2.0 ** -23, np.dtype(np.float64): 2.0 ** -52}


def _data(rng, shape, dtype):
    """x spread over [-8, 8] with exact kinks, tiny, denormal and huge values mixed in."""
    x = rng.uniform(-8, 8, shape)
    flat = x.reshape(-1)
    specials = [0.0, -0.0, 1e-30, -1e-30, 1e-310, 3.0, -3.0, 0.5, -0.5, 6.0, 1e4, -1e4]
    flat[: len(specials)] = specials
    b = rng.uniform(-1, 1, shape[-1])
    b[:3] = 0.0
    g = rng.standard_normal(shape)
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(dtype), b.astype(dtype), g.astype(dtype)


def _compute_dtype(dtype):
    return np.dtype(np.float32) if dtype == np.float16 else dtype


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
def test_forward_matches_reference(act, isa, dtype):
    rng = np.random.default_rng(1)
    x, b, _ = _data(rng, (29, 37), dtype)
    p = example_params(act)
    y = pa.bias_act(x, b, act.name, **p)
    assert y.shape == x.shape and y.dtype == dtype
    cd = _compute_dtype(dtype)
    with np.errstate(over="ignore", under="ignore"):
        z = (x.astype(cd) + b.astype(cd)).astype(np.float64)  # x + b rounded where the kernel rounds it
        ref = REF[act.name][0](z, **p)
    # 4 ULP, or 4 eps absolute where the kernel's own formula cancels (hard_sigmoid's
    # slope*x + offset near 0): the plumbing is what is tested here; the kernels'
    # accuracy is tested elementwise, and test_same_bits_as_the_unfused_kernels ties them.
    assert_close_ulp(y, ref, 4, abs_tol=4 * EPS[dtype], what=f"bias_act {act.name}")


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
def test_backward_matches_reference(act, isa, dtype):
    rng = np.random.default_rng(2)
    x, b, g = _data(rng, (31, 21), dtype)
    p = example_params(act)
    z = x + b
    gx, gb = pa.bias_act_grad(act.name, g, x=z, **p)
    assert gx.shape == g.shape and gx.dtype == dtype and gb.shape == (21,) and gb.dtype == dtype
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        ref = g.astype(np.float64) * REF[act.name][1](z.astype(np.float64), **p)
    tol = 1e-3 if dtype == np.float16 else 1e-6
    assert_close_ulp(gx, ref, 8, abs_tol=tol, what=f"bias_act_grad {act.name} grad_x")
    _check_bias_grad(gb, ref, dtype, tol, act.name)


def _check_bias_grad(gb, ref, dtype, tol, name):
    """grad_bias against the float64 column sums of the reference grad_x: within the
    rounding of the terms and of the sum; inf and NaN columns exactly as the reference."""
    with np.errstate(invalid="ignore", over="ignore"):
        want = ref.sum(axis=0)
        bound = 16 * EPS[dtype] * np.abs(ref).sum(axis=0) + tol * len(ref)
        got = gb.astype(np.float64)
        finite = np.isfinite(want) & np.isfinite(bound)
        err = np.abs(got - want)
    assert (err[finite] <= bound[finite]).all(), f"{name}: grad_bias off by {err[finite].max()}"
    inf = np.isinf(want)
    np.testing.assert_array_equal(got[inf], want[inf])
    assert np.isnan(got[np.isnan(want)]).all()


@pytest.mark.parametrize("act", [a for a in ELEMENTWISE if a.y_ok_for({**a.defaults, **example_params(a)})],
                         ids=lambda a: a.name)
def test_backward_from_y(act, isa, dtype):
    rng = np.random.default_rng(3)
    x, b, g = _data(rng, (17, 40), dtype)
    p = example_params(act)
    y = pa.bias_act(x, b, act.name, **p)
    gx, gb = pa.bias_act_grad(act.name, g, y=y, **p)
    cd = _compute_dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        z = (x.astype(cd) + b.astype(cd)).astype(np.float64)
        ref = g.astype(np.float64) * REF[act.name][1](z, **p)
    # float16: y is stored rounded to float16, and f'(y) from a rounded y (1 - y^2 near
    # |y| = 1) is only as good as that; the kernel is checked against the unfused one.
    np.testing.assert_array_equal(gx, pa.grad(act.name, g, y=y, **p))
    if dtype != np.float16:
        tol = 1e-6
        assert_close_ulp(gx, ref, 8, abs_tol=tol, what=f"bias_act_grad {act.name} from y")
        _check_bias_grad(gb, ref, dtype, tol, act.name)


KEEPS_DERIV = [a for a in ELEMENTWISE if _epilogue(a.name, example_params(a)).keeps_deriv]


def test_which_kernels_keep_the_derivative():
    assert {a.name for a in KEEPS_DERIV} == {"gelu", "swish"}
    with pytest.raises(ValueError, match="no forward with its derivative"):
        k = _epilogue("tanh", {}).kernel
        x = np.ones((2, 3))
        _core.bias_act(k.kid, x, np.zeros(3), np.empty_like(x), np.empty_like(x), k.args, True)


@pytest.mark.parametrize("act", KEEPS_DERIV, ids=lambda a: a.name)
def test_forward_keeping_the_derivative_keeps_nan(act, isa, dtype):
    """NaN in x + b, in every lane position, gives NaN in y and in f' for every parameter
    form (the driver skips its NaN select where the functor declares kFwdKeepsNan)."""
    x = np.resize(np.array([0.5, -0.5, 3.0, -3.0, 0.0, -40.0, 40.0, 1e-3], dtype), (3, 71))
    x[:, ::4] = np.nan
    b = np.zeros(71, dtype)
    nan = np.isnan(x)
    for p in parameter_forms(act):
        k = _epilogue(act.name, p).kernel
        if k is None or not _core.bias_act_has_deriv(k.kid):
            continue
        y, d = np.empty_like(x), np.empty_like(x)
        _core.bias_act(k.kid, x, b, y, d, k.args, True)
        assert np.isnan(y[nan]).all() and np.isnan(d[nan]).all(), p


@pytest.mark.parametrize("act", KEEPS_DERIV, ids=lambda a: a.name)
def test_forward_keeping_the_derivative(act, isa, dtype):
    """The trainer's mode for activations that cannot run from y: the forward also
    writes f'(x + b) (in place over x), with y bit for bit that of bias_act, and the
    backward is then g * f' with the column sums."""
    rng = np.random.default_rng(5)
    x, b, g = _data(rng, (19, 45), dtype)
    x[0, -4:] = [np.inf, -np.inf, np.nan, 0.0]
    p = example_params(act)
    k = _epilogue(act.name, p).kernel
    y, d = np.empty_like(x), x.copy()
    _core.bias_act(k.kid, d, b, y, d, k.args, True)  # the derivative over x itself
    np.testing.assert_array_equal(y, pa.bias_act(x, b, act.name, **p))
    cd = _compute_dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        z = (x.astype(cd) + b.astype(cd)).astype(np.float64)
        ref = np.where(np.isnan(z), np.nan, REF[act.name][1](z, **p))  # NaN in, NaN out (SPEC §2)
    tol = 1e-3 if dtype == np.float16 else 1e-6
    assert_close_ulp(d, ref, 8, abs_tol=tol, what=f"bias_act deriv {act.name}")
    gx, gb = np.empty_like(g), np.empty(g.shape[-1], dtype)
    _core.bias_act_grad(k.kid, 2, g, d, gx, gb, k.args)
    np.testing.assert_array_equal(gx, (g.astype(cd) * d.astype(cd)).astype(dtype))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        _check_bias_grad(gb, g.astype(np.float64) * d.astype(np.float64), dtype, tol, act.name)
    gd = g.copy()  # denormal g in some lanes (on AVX-512 an Intel core takes them around the multiply)
    gd.flat[::3] = np.finfo(dtype).smallest_normal * np.linspace(-0.9, 0.9, gd.size)[::3]
    _core.bias_act_grad(k.kid, 2, gd, d, gx, gb, k.args)
    np.testing.assert_array_equal(gx, (gd.astype(cd) * d.astype(cd)).astype(dtype))
    with pytest.raises(ValueError, match="needs pre"):
        _core.bias_act(k.kid, x, b, y, None, k.args, True)


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
def test_nan_in_nan_out(act, dtype):
    p = example_params(act)
    x = np.array([[np.nan, 1.0, -1.0], [0.5, np.nan, 2.0]], dtype)
    b = np.array([0.0, 0.0, np.nan], dtype)
    y = pa.bias_act(x, b, act.name, **p)
    assert np.isnan(y[0, 0]) and np.isnan(y[1, 1]) and np.isnan(y[:, 2]).all()
    gx, gb = pa.bias_act_grad(act.name, np.ones_like(x), x=x + b, **p)
    assert np.isnan(gx[0, 0]) and np.isnan(gx[1, 1]) and np.isnan(gx[:, 2]).all()
    assert np.isnan(gb).all()  # every column holds a NaN


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
def test_same_bits_as_the_unfused_kernels(act, dtype):
    """The fused pass computes each element exactly as pa.<name>(x + b) / pa.grad do."""
    rng = np.random.default_rng(4)
    x, b, g = _data(rng, (23, 70), dtype)
    x[0, -4:] = [np.inf, -np.inf, np.nan, 0.0]
    p = example_params(act)
    cd = _compute_dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        z = (x.astype(cd) + b.astype(cd)).astype(dtype)
    if dtype != np.float16:  # float16: the fused sum is not rounded to float16 first
        np.testing.assert_array_equal(pa.bias_act(x, b, act.name, **p), getattr(pa, act.name)(z, **p))
    gx, _ = pa.bias_act_grad(act.name, g, x=z, **p)
    np.testing.assert_array_equal(gx, pa.grad(act.name, g, x=z, **p))


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_same_bits_for_any_thread_count_and_position(act, dt):
    rng = np.random.default_rng(5)
    x, b, g = _data(rng, (1003, 301), dt)  # above every grain: threads do split it
    p = example_params(act)
    z = x + b
    results = []
    for n in (1, 2, 3, 5):
        with pa.threads(n):
            results.append((pa.bias_act(x, b, act.name, **p), *pa.bias_act_grad(act.name, g, x=z, **p)))
    for r in results[1:]:
        for a, c in zip(results[0], r):
            np.testing.assert_array_equal(a, c)
    # rows 3.. and columns 5.. of the whole give the same bits (a strided view in).
    y_part = pa.bias_act(x[3:, 5:], b[5:], act.name, **p)
    np.testing.assert_array_equal(y_part, results[0][0][3:, 5:])
    gx_part, _ = pa.bias_act_grad(act.name, g[3:, 5:], x=z[3:, 5:], **p)
    np.testing.assert_array_equal(gx_part, results[0][1][3:, 5:])


def test_grad_bias_is_accumulated_in_float64():
    # 2^24 + 1 + 1 + ... would stick at 2^24 when added in float32.
    g = np.ones((4097, 2), np.float32)
    g[0, 0] = 2.0 ** 24
    _, gb = pa.bias_act_grad("linear", g, x=np.zeros_like(g))
    assert gb[0] == np.float32(2.0 ** 24 + 4096) and gb[1] == 4097


# --- array rules ------------------------------------------------------------------------
def test_in_place_and_out():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    want = np.maximum(x + b, 0)
    out = np.empty_like(x)
    assert pa.bias_act(x, b, "relu", out=out) is out
    np.testing.assert_array_equal(out, want)
    xc = x.copy()
    assert pa.bias_act(xc, b, "relu", out=xc) is xc
    np.testing.assert_array_equal(xc, want)
    g = rng.standard_normal((8, 5)).astype(np.float32)
    gc = g.copy()
    gx, gb = pa.bias_act_grad("relu", gc, x=x + b, out=gc)
    assert gx is gc
    np.testing.assert_array_equal(gx, g * (x + b > 0))


def test_strided_3d_and_fortran_inputs():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((6, 4, 18))
    x = base[::-2, :, ::3]  # negative and non-unit strides, 3-d
    b = rng.standard_normal(6)
    want = np.where(x + b > 0, x + b, 0.01 * (x + b))
    np.testing.assert_allclose(pa.bias_act(x, b, "leaky_relu"), want, rtol=1e-15)
    xf = np.asfortranarray(rng.standard_normal((9, 7)))
    bf = rng.standard_normal(7)
    np.testing.assert_array_equal(pa.bias_act(xf, bf, "relu"), np.maximum(xf + bf, 0))
    out = np.empty((7, 9)).T  # a Fortran-ordered out
    pa.bias_act(xf, bf, "relu", out=out)
    np.testing.assert_array_equal(out, np.maximum(xf + bf, 0))


def test_partial_overlap_reads_as_copied_first():
    buf = np.arange(40, dtype=np.float64) - 20
    x = buf[:30].reshape(3, 10)
    out = buf[10:].reshape(3, 10)
    want = np.maximum(x.copy() + 1.0, 0)
    pa.bias_act(x, np.ones(10), "relu", out=out)
    np.testing.assert_array_equal(out, want)


def test_bias_broadcast_and_dtypes():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 6
    for b in (1.5, [1.5], np.full((1, 4), 1.5)):
        np.testing.assert_array_equal(pa.bias_act(x, b, "relu"), np.maximum(x + np.float32(1.5), 0))
    assert pa.bias_act(x, np.zeros(4), "relu").dtype == np.float64       # as x + bias would be
    assert pa.bias_act(np.arange(4), np.zeros(4, np.float32), "relu").dtype == np.float64
    assert pa.bias_act(x.astype(np.float16), np.zeros(4, np.float16), "relu").dtype == np.float16
    with pytest.raises(ValueError, match=r"bias of shape \(5,\)"):
        pa.bias_act(x, np.zeros(5), "relu")
    with pytest.raises(ValueError, match="bias"):
        pa.bias_act(x, np.zeros((2, 4)), "relu")
    with pytest.raises(ValueError, match="at least one axis"):
        pa.bias_act(np.float32(1), 1.0, "relu")
    with pytest.raises(TypeError, match="complex"):
        pa.bias_act(x.astype(np.complex64), np.zeros(4), "relu")


def test_bad_out_leaves_it_unchanged():
    x = np.ones((3, 4), np.float32)
    b = np.zeros(4, np.float32)
    out = np.full((3, 5), 7.0, np.float32)
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(3, 4\)"):
        pa.bias_act(x, b, "relu", out=out)
    out64 = np.full((3, 4), 7.0)
    with pytest.raises(TypeError, match="float64.*float32"):
        pa.bias_act(x, b, "relu", out=out64)
    ro = np.full((3, 4), 7.0, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pa.bias_act(x, b, "relu", out=ro)
    assert (out == 7).all() and (out64 == 7).all() and (ro == 7).all()


def test_empty_arrays():
    y = pa.bias_act(np.zeros((0, 5), np.float32), np.zeros(5, np.float32), "relu")
    assert y.shape == (0, 5)
    gx, gb = pa.bias_act_grad("relu", np.zeros((0, 5)), x=np.zeros((0, 5)))
    assert gx.shape == (0, 5) and gb.shape == (5,) and (gb == 0).all()
    gx, gb = pa.bias_act_grad("relu", np.zeros((3, 0)), x=np.zeros((3, 0)))
    assert gx.shape == (3, 0) and gb.shape == (0,)


def test_backward_argument_rules():
    g = np.ones((2, 3))
    with pytest.raises(TypeError, match="needs x="):
        pa.bias_act_grad("relu", g)
    with pytest.raises(TypeError, match="cannot run from y"):
        pa.bias_act_grad("hardshrink", g, y=g)
    with pytest.raises(ValueError, match="shape"):
        pa.bias_act_grad("relu", g, x=np.ones((2, 4)))
    with pytest.raises(KeyError, match="relu"):
        pa.bias_act(g, np.zeros(3), "reluu")
    with pytest.raises(TypeError, match="negative_slope"):
        pa.bias_act(g, np.zeros(3), "leaky_relu", slope=0.1)
    with pytest.raises(ValueError, match="lambd"):
        pa.bias_act(g, np.zeros(3), "softshrink", lambd=-1.0)


def test_parameters_and_objects():
    rng = np.random.default_rng(8)
    x, b = rng.standard_normal((5, 6)), rng.standard_normal(6)
    z = x + b
    want = np.where(z > 0, z, 0.2 * z)
    np.testing.assert_allclose(pa.bias_act(x, b, "leaky_relu", negative_slope=0.2), want, rtol=1e-15)
    np.testing.assert_allclose(pa.bias_act(x, b, pa.get("leaky_relu", alpha=0.2)), want, rtol=1e-15)
    gx, gb = pa.bias_act_grad(pa.LeakyReLU(negative_slope=0.2), np.ones_like(z), x=z)
    np.testing.assert_array_equal(gx, np.where(z > 0, 1.0, 0.2))
    with pytest.raises(TypeError, match="Activation object"):
        pa.bias_act(x, b, pa.get("relu"), negative_slope=0.1)


def test_fallback_for_registered_activations():
    pa.register("fused_test_sine", forward=np.sin, backward=lambda g, x, y: g * np.cos(x), overwrite=True)
    rng = np.random.default_rng(9)
    x, b, g = rng.standard_normal((7, 3)), rng.standard_normal(3), rng.standard_normal((7, 3))
    np.testing.assert_allclose(pa.bias_act(x, b, "fused_test_sine"), np.sin(x + b), rtol=1e-15)
    gx, gb = pa.bias_act_grad("fused_test_sine", g, x=x + b)
    np.testing.assert_allclose(gx, g * np.cos(x + b), rtol=1e-15)
    np.testing.assert_allclose(gb, (g * np.cos(x + b)).sum(axis=0), rtol=1e-13)
    out = np.empty((7, 3))
    assert pa.bias_act(x, b, "fused_test_sine", out=out) is out
    with pytest.raises(TypeError, match="cannot run from y"):
        pa.bias_act_grad("fused_test_sine", g, y=x)


def test_result_dtype_is_that_of_x_plus_bias():
    """NumPy 2 (NEP 50): a Python number added to an array takes the array's dtype."""
    for dt in (np.float16, np.float32, np.float64):
        x = np.linspace(-2, 2, 12).astype(dt).reshape(3, 4)
        for b in (0.5, 1, np.zeros(4, dt), np.float64(0.5), np.zeros(4)):
            want = (x + b).dtype
            assert pa.bias_act(x, b, "relu").dtype == want, (dt, b)
            assert pa.bias_act(x, b, "tanh").dtype == want, (dt, b)


def test_names_without_a_kernel_are_their_functional_forms():
    """bias_act(x, b, name, **p) is pa.<name>(x + b, **p) and bias_act_grad its pa.grad,
    the column sums beside it, also where the output is narrower (glu, maxout), where the
    parameters are per channel (swish's beta array) or random (rrelu: eval mode unless
    training=True, whose gradient needs the forward's seed)."""
    rng = np.random.default_rng(11)
    x, b = rng.standard_normal((6, 8)), rng.standard_normal(8)
    z = x + b
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(pa.bias_act(x, b, "glu"), z[:, :4] * sig(z[:, 4:]), rtol=1e-14)
    np.testing.assert_array_equal(pa.bias_act(x, b, "maxout"), z.reshape(6, 4, 2).max(axis=2))
    np.testing.assert_array_equal(pa.bias_act(x, b, "maxout", pieces=4), z.reshape(6, 2, 4).max(axis=2))
    g = rng.standard_normal((6, 4))
    gx, gb = pa.bias_act_grad("maxout", g, x=z)
    first = z.reshape(6, 4, 2).argmax(axis=2)  # the first maximum takes the gradient
    want = np.zeros((6, 4, 2))
    np.put_along_axis(want, first[..., None], g[..., None], axis=2)
    np.testing.assert_array_equal(gx, want.reshape(6, 8))
    np.testing.assert_allclose(gb, want.reshape(6, 8).sum(axis=0), rtol=1e-14)
    out = np.empty((6, 4))
    assert pa.bias_act(x, b, "glu", out=out) is out
    with pytest.raises(ValueError, match=r"\(6, 4\)"):
        pa.bias_act(x, b, "glu", out=np.empty((6, 8)))
    with pytest.raises(ValueError, match="grad_out has shape"):
        pa.bias_act_grad("glu", np.ones((6, 8)), x=z)

    beta = np.linspace(0.5, 2.0, 8)
    np.testing.assert_allclose(pa.bias_act(x, b, "swish", beta=beta, axis=-1), z * sig(beta * z), rtol=1e-14)
    gx, gb = pa.bias_act_grad("swish", np.ones_like(z), x=z, beta=beta, axis=-1)
    s = sig(beta * z)
    np.testing.assert_allclose(gx, s + beta * z * s * (1 - s), rtol=1e-13)
    np.testing.assert_allclose(gb, gx.sum(axis=0), rtol=1e-14)

    slope = (1 / 8 + 1 / 3) / 2
    np.testing.assert_array_equal(pa.bias_act(x, b, "rrelu"), np.where(z > 0, z, z * slope))
    gx, _ = pa.bias_act_grad("rrelu", np.ones_like(z), x=z)
    np.testing.assert_array_equal(gx, np.where(z > 0, 1.0, slope))
    y = pa.bias_act(x, b, "rrelu", training=True, seed=5)
    gx, _ = pa.bias_act_grad("rrelu", np.ones_like(z), x=z, training=True, seed=5)
    neg = z < 0
    np.testing.assert_allclose(gx[neg], y[neg] / z[neg], rtol=1e-15)
    with pytest.raises(ValueError, match="seed"):
        pa.bias_act_grad("rrelu", np.ones_like(z), x=z, training=True)
