"""Dask arrays through the functional API (SPEC §2 via pyact._dask): lazy results with
the input's chunks, bit-identical to the NumPy path, with the threaded scheduler and
with a dask.distributed LocalCluster of worker processes."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog

from conftest import example_params

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

SHAPE, CHUNKS = (97, 64), (30, 17)


def _data(dtype=np.float32, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(SHAPE) * 4).astype(dtype)
    x.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40]
    return x


def _numpy_call(name: str, x: np.ndarray, params: dict):
    try:
        return getattr(pa, name)(x, **params)
    except TypeError as e:  # a family whose function needs array arguments we do not know
        pytest.skip(f"{name}: no default call ({e})")


def _whole_axis(act, params) -> int | None:
    names = [q.name for q in act.params]
    if act.family == "elementwise" or "axis" not in names and "axis" not in params:
        return None
    return params.get("axis", act.defaults.get("axis")) % len(SHAPE)


@pytest.mark.parametrize("name", pa.available())
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_forward_and_grad_bit_identical(name, dt):
    act = _catalog.by_name(name)
    params = example_params(act)
    x = _data(dt)
    with np.errstate(all="ignore"):
        want = _numpy_call(name, x, params)
    dx = da.from_array(x, chunks=CHUNKS)
    with dask.config.set(scheduler="threads"):
        got = getattr(pa, name)(dx, **params)
        assert isinstance(got, da.Array)
        axis = _whole_axis(act, params)
        expected_chunks = list(dx.chunks)
        if axis is not None:  # documented: that axis rechunked to one block
            expected_chunks[axis] = (want.shape[axis],)
        assert got.chunks == tuple(expected_chunks)
        assert got.dtype == want.dtype
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(got.compute(), want, strict=True)

        g = np.random.default_rng(1).standard_normal(want.shape).astype(dt)
        with np.errstate(all="ignore"):
            gwant = pa.grad(name, g, x=x, **params)
            ggot = pa.grad(name, da.from_array(g, chunks=CHUNKS), x=dx, **params)
            assert isinstance(ggot, da.Array) and ggot.shape == x.shape
            np.testing.assert_array_equal(ggot.compute(), gwant, strict=True)


@pytest.mark.parametrize("act", [a for a in _catalog.CATALOG if a.y_ok_for(example_params(a) or a.defaults)
                                 and all(q.default is not _catalog.REQUIRED for q in a.params)],
                         ids=lambda a: a.name)
def test_grad_from_y_mixed_numpy_and_dask(act):
    x = _data(np.float64)
    with np.errstate(all="ignore"):
        y = getattr(pa, act.name)(x)
        g = np.cos(x)
        want = pa.grad(act.name, g, y=y)
        got = pa.grad(act.name, g, y=da.from_array(y, chunks=CHUNKS))  # g stays NumPy
        np.testing.assert_array_equal(got.compute(scheduler="threads"), want, strict=True)


def test_dtypes_follow_numpy_path():
    xi = da.arange(10, chunks=3)
    assert pa.relu(xi).dtype == np.float64
    assert pa.relu(xi.astype(np.float16)).compute().dtype == np.float16
    np.testing.assert_array_equal(pa.relu(xi).compute(), pa.relu(np.arange(10)))
    with pytest.raises(TypeError, match="complex"):
        pa.relu(da.ones(4, chunks=2, dtype=complex))


def test_errors_at_call_time():
    dx = da.ones((8, 6), chunks=(3, 3), dtype=np.float32)
    with pytest.raises(TypeError, match="out="):
        pa.relu(dx, out=np.empty((8, 6), np.float32))
    with pytest.raises(ValueError, match="b"):
        pa.squareplus(dx, b=0)
    with pytest.raises(TypeError, match="negative_slop"):
        pa.leaky_relu(dx, negative_slop=0.1)
    with pytest.raises(ValueError, match="shape"):
        pa.grad("relu", dx[:, :3], x=dx)
    with pytest.raises(TypeError, match="x="):
        pa.grad("relu", dx)
    with pytest.raises(KeyError):
        pa.grad("no_such_activation", dx, x=dx)


def test_empty_and_0d():
    e = da.zeros((0, 5), chunks=(1, 2), dtype=np.float32)
    assert pa.relu6(e).compute().shape == (0, 5)
    s = da.from_array(np.array(-2.5))
    assert float(pa.leaky_relu(s).compute()) == pytest.approx(-0.025)


def test_dask_not_imported_for_numpy_input():
    code = ("import sys, numpy as np, pyact as pa; x = np.ones(5); pa.relu(x); "
            "pa.grad('relu', x, x=x); print('dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(pa, "bias_act"), reason="bias_act not in this build")
def test_bias_act_keeps_chunks():
    x = _data(np.float32)
    bias = np.linspace(-1, 1, SHAPE[1]).astype(np.float32)
    want = pa.bias_act(x, bias, "relu6")
    got = pa.bias_act(da.from_array(x, chunks=CHUNKS), bias, "relu6")
    assert got.chunks == da.from_array(x, chunks=CHUNKS).chunks
    np.testing.assert_array_equal(got.compute(), want, strict=True)


def test_distributed_local_cluster_bit_identical():
    distributed = pytest.importorskip("dask.distributed")
    x = _data(np.float64, seed=5)
    dx = da.from_array(x, chunks=CHUNKS)
    with np.errstate(all="ignore"):
        want = [pa.squareplus(x, b=3.0), pa.grad("hard_swish", np.sin(x), x=x), pa.leaky_relu(x)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        lazy = [pa.squareplus(dx, b=3.0), pa.grad("hard_swish", da.sin(dx), x=dx), pa.leaky_relu(dx)]
        got = client.compute(lazy, sync=True)
        # Every worker process really took part (not all on one).
        assert len(client.scheduler_info()["workers"]) == 2
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w, strict=True)


def _need(*names):
    return pytest.mark.skipif(not set(names) <= set(pa.available()), reason=f"needs {names} in this build")


@_need("prelu", "srelu", "apl")
@pytest.mark.parametrize("case", ["prelu", "srelu", "apl", "prelu_shared"])
def test_per_channel_parameters_rechunk_the_channel_axis(case):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 9, 5)).astype(np.float32)
    dx = da.from_array(x, chunks=(4, 4, 2))  # the channel axis (1) split in three
    call = {
        "prelu": lambda f, a: f.prelu(a, np.linspace(0.1, 0.9, 9)),
        "prelu_shared": lambda f, a: f.prelu(a, 0.3),
        "srelu": lambda f, a: f.srelu(a, t_left=np.linspace(-1, 0, 9), a_right=np.linspace(0.5, 2, 9)),
        "apl": lambda f, a: f.apl(a, a=np.full((2, 9), 0.2),
                                  b=np.tile([[-0.5], [0.5]], (1, 9))),
    }[case]
    want = call(pa, x)
    got = call(pa, dx)
    assert isinstance(got, da.Array)
    assert got.chunks == ((4, 2), (9,), (2, 2, 1))  # only the channel axis became one chunk
    np.testing.assert_array_equal(got.compute(scheduler="threads"), want, strict=True)


@_need("prelu")
def test_per_channel_grad():
    x = np.random.default_rng(8).standard_normal((10, 4)).astype(np.float64)
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    g = np.cos(x)
    want = pa.grad("prelu", g, x=x, alpha=alpha)
    got = pa.grad("prelu", da.from_array(g, chunks=(3, 2)), x=da.from_array(x, chunks=(3, 2)), alpha=alpha)
    np.testing.assert_array_equal(got.compute(), want, strict=True)


@_need("rrelu")
def test_rrelu_training_is_one_block_with_one_seed():
    x = np.linspace(-4, 4, 1000).reshape(40, 25)
    dx = da.from_array(x, chunks=(7, 5))
    want = pa.rrelu(x, training=True, seed=11)
    got = pa.rrelu(dx, training=True, seed=11)  # slopes follow each element's place in x
    np.testing.assert_array_equal(got.compute(), want, strict=True)
    np.random.seed(3)
    lazy = pa.rrelu(dx, training=True)  # the seed is drawn now, once: recomputing agrees
    np.testing.assert_array_equal(lazy.compute(), lazy.compute(), strict=True)
    np.testing.assert_array_equal(pa.rrelu(dx).compute(), pa.rrelu(x), strict=True)  # eval: blockwise


@_need("rrelu", "prelu")
def test_positional_parameters():
    x = np.linspace(-3, 3, 60).reshape(4, 15)
    dx = da.from_array(x, chunks=(2, 4))
    np.testing.assert_array_equal(pa.rrelu(dx, 0.1, 0.3, True, 9).compute(), pa.rrelu(x, 0.1, 0.3, True, 9))
    alpha = np.linspace(0, 1, 15)
    got = pa.prelu(dx, alpha, 1)
    assert got.chunks[1] == (15,)
    np.testing.assert_array_equal(got.compute(), pa.prelu(x, alpha, 1))


def test_bias_act_grad_lazy():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((50, 12)).astype(np.float32)
    g = rng.standard_normal((50, 12)).astype(np.float32)
    want_gx, want_gb = pa.bias_act_grad("gelu", g, x=x)
    gx, gb = pa.bias_act_grad("gelu", da.from_array(g, chunks=(16, 5)), x=da.from_array(x, chunks=(16, 5)))
    assert isinstance(gx, da.Array) and isinstance(gb, da.Array)
    assert gx.chunks == ((16, 16, 16, 2), (5, 5, 2))
    np.testing.assert_array_equal(gx.compute(), want_gx, strict=True)
    # the bias gradient: column sums, against an independent float64 sum of dL/dx
    ref = want_gx.astype(np.float64).sum(axis=0)
    got = gb.compute()
    assert got.dtype == np.float32 and got.shape == (12,)
    np.testing.assert_allclose(got, ref, rtol=2e-7, atol=0)
    y = pa.relu(x)
    gx_y, gb_y = pa.bias_act_grad("relu", da.from_array(g, chunks=7), y=y)  # NumPy y mixed in
    np.testing.assert_array_equal(gx_y.compute(), pa.bias_act_grad("relu", g, y=y)[0], strict=True)
    with pytest.raises(TypeError, match="out="):
        pa.bias_act_grad("relu", da.from_array(g), x=x, out=np.empty_like(g))
    with pytest.raises(ValueError):  # raised at call time, as in the NumPy path
        pa.bias_act_grad("relu", da.from_array(g), x=x[:, :3])


def test_activation_objects_take_dask():
    x = _data(np.float32)
    dx = da.from_array(x, chunks=CHUNKS)
    act = pa.get("elu", alpha=0.5)
    got = act(dx)
    assert isinstance(got, da.Array) and got.chunks == dx.chunks
    np.testing.assert_array_equal(got.compute(), act(x), strict=True)
    with np.errstate(invalid="ignore"):  # the data holds ±inf
        g = np.cos(x)
    back = act.backward(da.from_array(g, chunks=CHUNKS), x=dx)
    np.testing.assert_array_equal(back.compute(), act.backward(g, x=x), strict=True)
    soft = pa.get("softmax", axis=0)  # the axis is made one chunk
    np.testing.assert_array_equal(soft(dx).compute(), soft(x), strict=True)
    with pytest.raises(TypeError, match="out="):
        act(dx, out=np.empty_like(x))


@_need("prelu")
def test_learnable_object_forward_dask_backward_refused():
    x = _data(np.float64)
    act = pa.get("prelu", num_parameters=x.shape[1], init=0.3)
    np.testing.assert_array_equal(act(da.from_array(x, chunks=CHUNKS)).compute(), act(x), strict=True)
    with pytest.raises(TypeError, match="NumPy arrays"):
        act.backward(da.from_array(np.ones_like(x)), x=x)


# --- promises of docs/ECOSYSTEM.md that an audit found broken (each test failed before its fix)
AXIS_NAMES = ["softmax", "log_softmax", "softmin", "glu", "maxout"]


@pytest.mark.parametrize("name", AXIS_NAMES)
def test_dim_alias_rechunks_the_axis(name):
    x = np.random.default_rng(20).standard_normal((20, 6)).astype(np.float32)
    dx = da.from_array(x, chunks=(7, 4))
    got = getattr(pa, name)(dx, dim=0)
    want = getattr(pa, name)(x, dim=0)
    assert got.chunks[0] == (want.shape[0],) and got.chunks[1] == (4, 2)
    np.testing.assert_array_equal(got.compute(), want, strict=True)
    g = np.cos(want)
    ggot = pa.grad(name, da.from_array(g, chunks=(5, 4)), x=dx, dim=0)
    np.testing.assert_array_equal(ggot.compute(), pa.grad(name, g, x=x, dim=0), strict=True)


@pytest.mark.parametrize("name", AXIS_NAMES)
def test_axis_object_backward_is_lazy(name):
    x = _data(np.float64)
    dx = da.from_array(x, chunks=CHUNKS)
    act = pa.get(name)
    y = act(x)
    g = np.random.default_rng(3).standard_normal(y.shape)
    got = act.backward(da.from_array(g, chunks=(30, 8)), x=dx)
    assert isinstance(got, da.Array)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got.compute(), act.backward(g, x=x), strict=True)
        if act.y_ok:
            got_y = act.backward(g, y=da.from_array(y, chunks=CHUNKS))
            assert isinstance(got_y, da.Array)
            np.testing.assert_array_equal(got_y.compute(), act.backward(g, y=y), strict=True)


def test_unknown_chunk_sizes():
    x = _data(np.float32)
    dx = da.from_array(x, chunks=CHUNKS)
    g = np.sin(np.nan_to_num(x))
    dg = da.from_array(g, chunks=CHUNKS)
    with np.errstate(invalid="ignore"):
        mask = x > 0
    pos, gpos = dx[dx > 0], dg[dx > 0]  # 1-d, chunk sizes unknown (NaN)
    assert np.isnan(pos.shape[0])
    np.testing.assert_array_equal(pa.gelu(pos).compute(), pa.gelu(x[mask]), strict=True)
    np.testing.assert_array_equal(pa.elu(pos, alpha=0.5).compute(), pa.elu(x[mask], alpha=0.5), strict=True)
    np.testing.assert_array_equal(pa.get("mish")(pos).compute(), pa.mish(x[mask]), strict=True)
    np.testing.assert_array_equal(pa.grad("gelu", gpos, x=pos).compute(), pa.grad("gelu", g[mask], x=x[mask]),
                                  strict=True)
    rows = dx[dx[:, 1] > 0]  # rows unknown, columns known
    r = x[x[:, 1] > 0]
    bias = np.linspace(-1, 1, SHAPE[1]).astype(np.float32)
    np.testing.assert_array_equal(pa.softmax(rows).compute(), pa.softmax(r), strict=True)
    np.testing.assert_array_equal(pa.bias_act(rows, bias, "gelu").compute(), pa.bias_act(r, bias, "gelu"),
                                  strict=True)
    with pytest.raises(ValueError, match="shape"):  # a mismatch that is known is still refused
        pa.grad("relu", rows[:, :3], x=rows)


def _blocks_match_chunks(a) -> None:
    """Every computed block has the shape the Dask array declares for it."""
    blocks = dask.compute(*a.to_delayed().ravel(), scheduler="sync")
    for idx, block in zip(np.ndindex(*a.numblocks), blocks):
        assert block.shape == tuple(c[i] for c, i in zip(a.chunks, idx))


def _x3(dtype=np.float32):
    x3 = np.random.default_rng(21).standard_normal((4, 5, 8)).astype(dtype)
    return x3, da.from_array(x3, chunks=(2, 3, 3))  # the last axis split in three


@pytest.mark.parametrize("name", [*AXIS_NAMES, "prelu", "rrelu"])
def test_bias_act_unfused_is_the_function_of_x_plus_bias(name):
    x3, dx3 = _x3()
    bias = np.linspace(-1, 1, 8).astype(np.float32)
    params = {"training": True, "seed": 5} if name == "rrelu" else {}
    want = pa.bias_act(x3, bias, name, **params)
    np.testing.assert_array_equal(want, getattr(pa, name)(x3 + bias, **params), strict=True)
    got = pa.bias_act(dx3, bias, name, **params)
    assert isinstance(got, da.Array) and got.shape == want.shape
    _blocks_match_chunks(got)
    np.testing.assert_array_equal(got.compute(), want, strict=True)

    g = np.cos(want)
    want_gx, want_gb = pa.bias_act_grad(name, g, x=x3 + bias, **params)
    gx, gb = pa.bias_act_grad(name, da.from_array(g, chunks=(2, 3, 2)), x=dx3 + bias, **params)
    assert isinstance(gx, da.Array) and isinstance(gb, da.Array)
    np.testing.assert_array_equal(gx.compute(), want_gx, strict=True)
    np.testing.assert_allclose(gb.compute(), want_gx.astype(np.float64).sum(axis=(0, 1)), rtol=2e-7, atol=0)
    assert gb.dtype == want_gb.dtype


def test_bias_act_unfused_objects_and_registered_names():
    from pyact import registry
    x3, dx3 = _x3(np.float64)
    bias = np.linspace(-1, 1, 8)
    soft = pa.get("softmax")
    np.testing.assert_array_equal(pa.bias_act(dx3, bias, soft).compute(), pa.bias_act(x3, bias, soft), strict=True)
    pa.register("dask_test_sine", np.sin, lambda g, x, y: g * np.cos(x), overwrite=True)
    try:
        got = pa.bias_act(dx3, bias, "dask_test_sine")
        np.testing.assert_array_equal(got.compute(), pa.bias_act(x3, bias, "dask_test_sine"), strict=True)
    finally:
        registry._USER.pop("dask_test_sine", None)
    with pytest.raises(ValueError, match="bias"):  # as the NumPy path, at call time
        pa.bias_act(dx3, np.ones(3), "softmax")


@pytest.mark.parametrize("name", ["gelu", "softmax"])
@pytest.mark.parametrize("bias", [0.3, 1, np.float64(0.3), np.linspace(0, 1, 8)], ids=["float", "int", "np64", "arr64"])
def test_bias_act_dtype_follows_numpy_path(name, bias):
    x3, dx3 = _x3()
    want = pa.bias_act(x3, bias, name)
    got = pa.bias_act(dx3, bias, name)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.compute(), want, strict=True)


@_need("rrelu")
def test_rrelu_object_fixes_each_calls_slopes():
    x3, dx3 = _x3(np.float64)
    g = np.cos(x3)
    ref, act = pa.RReLU(seed=4), pa.RReLU(seed=4)
    first, second = act(dx3), act(dx3)  # two calls: the stream advanced twice, now
    back = act.backward(da.from_array(g, chunks=(2, 3, 3)), x=dx3)  # replays the 2nd call
    third = act(x3)  # a NumPy call after: the 3rd slopes; the lazy ones keep theirs
    np.testing.assert_array_equal(second.compute(), second.compute(), strict=True)
    want = [ref(x3), ref(x3)]
    want_back = ref.backward(g, x=x3)
    np.testing.assert_array_equal(second.compute(), want[1], strict=True)
    np.testing.assert_array_equal(first.compute(), want[0], strict=True)
    np.testing.assert_array_equal(back.compute(), want_back, strict=True)
    np.testing.assert_array_equal(third, ref(x3), strict=True)
    act.eval(), ref.eval()  # eval: the mean slope, no stream step
    np.testing.assert_array_equal(act(dx3).compute(), ref(x3), strict=True)
    np.testing.assert_array_equal(act.train()(x3), ref.train()(x3), strict=True)


@_need("rrelu")
@pytest.mark.parametrize("training", [True, False])
def test_rrelu_seed_none_drawn_as_numpy_path(training):
    x3, dx3 = _x3()
    np.random.seed(1)
    want, after = pa.rrelu(x3, training=training), np.random.random()
    np.random.seed(1)
    got, got_after = pa.rrelu(dx3, training=training), np.random.random()
    np.testing.assert_array_equal(got.compute(), want, strict=True)
    assert got_after == after  # the global generator moved as on the NumPy path
