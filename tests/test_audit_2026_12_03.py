"""Bugs found by the audit of 2026-12-03, each against an independent reference (NumPy,
or the error SPEC.md prescribes), never against pyact's own output."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyact as pa


# --- SPEC §7: bias_act(x, bias, name) = act(x + bias), x + bias as NumPy computes it --------
@pytest.mark.parametrize("x_dtype, bias", [
    (np.int8, 1.0),                     # int8 + Python float -> float64 (NEP 50)
    (np.uint8, 0.25),
    (np.int16, 0.5),                    # int16 + Python float -> float64, not float32
    (np.bool_, 1),                      # bool + Python int -> int64 -> float64
    (np.bool_, 0.5),
    (np.int8, np.array([1, 2, 3], np.uint8)),   # int8 + uint8 -> int16 -> float32
    (np.uint8, np.array([1, 2, 3], np.int8)),
])
def test_bias_act_dtype_is_that_of_numpy_x_plus_bias(x_dtype, bias):
    x = np.array([[1, 0, 1], [0, 1, 1]], x_dtype)
    z = x + bias                                   # NumPy's sum, then np.exp's conversion
    want_dtype = np.exp(z).dtype
    r = pa.bias_act(x, bias, "linear")
    assert r.dtype == want_dtype
    np.testing.assert_array_equal(r, z.astype(want_dtype))


def test_bias_act_int8_plus_float_is_not_rounded_to_float16():
    x = np.array([[100, -100]], np.int8)
    r = pa.bias_act(x, 0.3, "relu")
    np.testing.assert_array_equal(r, np.maximum(x + 0.3, 0.0))   # 100.3 exactly as float64


def test_bias_act_list_of_bools_plus_python_float():
    r = pa.bias_act([[True, False]], 0.5, "linear")
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [[1.5, 0.5]])


# --- SPEC §3: an invalid parameter value is a ValueError naming the parameter ---------------
@pytest.mark.parametrize("value", [np.array([0.5]), np.array([0.5, 1.0]), np.complex128(0.5 + 1j),
                                   np.array(0.5 + 0j), np.True_])
def test_non_real_scalar_parameter_is_a_value_error_naming_it(value):
    x = -np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no ComplexWarning: the imaginary part is not silently dropped
        with pytest.raises(ValueError, match="alpha"):
            pa.elu(x, alpha=value)
        with pytest.raises(ValueError, match="alpha"):
            pa.get("elu", alpha=value)
        with pytest.raises(ValueError, match="negative_slope"):
            pa.grad("leaky_relu", np.ones(3), x=x, negative_slope=value)


def test_huge_int_parameter_is_a_value_error():
    with pytest.raises(ValueError, match="alpha"):
        pa.elu(-np.ones(3), alpha=10 ** 400)


def test_real_numpy_scalars_still_accepted():
    x = -np.ones(3)
    want = 0.5 * np.expm1(-1.0)
    for v in (np.float32(0.5), np.float16(0.5), np.array(0.5), 0.5):
        np.testing.assert_allclose(pa.elu(x, alpha=v), want, rtol=1e-15)


# --- a rejected call changes nothing: RReLU's random stream and its backward's slopes -------
def test_rrelu_rejected_forward_does_not_advance_the_stream():
    x = -np.ones((3, 4))
    a, b = pa.RReLU(seed=1), pa.RReLU(seed=1)
    with pytest.raises(TypeError):
        a(x, out=np.empty((3, 4), np.float32))
    with pytest.raises(ValueError):
        a(x, out=np.empty((2, 4)))
    np.testing.assert_array_equal(a(x), b(x))


def test_rrelu_backward_after_a_rejected_forward_uses_the_last_forward_slopes():
    x, g = -np.ones((3, 4)), np.ones((3, 4))
    a = pa.RReLU(seed=1)
    y = a(x)
    with pytest.raises(ValueError):
        a(x, out=np.empty((2, 4)))
    np.testing.assert_allclose(a.backward(g, x=x), y / x, rtol=1e-15)   # dy/dx = slope = y / x


# --- SPEC §3: pa.get(name, **params) builds the same as pa.<name>(x, **params): swish's
# per-channel beta is checked as its scalar beta is (NaN / inf: ValueError) -----------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_swish_per_channel_beta_must_be_finite_as_the_scalar_one(bad):
    x = np.ones((2, 3, 4))
    beta = np.array([1.0, bad, 1.0])
    with pytest.raises(ValueError, match="beta"):
        pa.swish(x, beta=bad)                 # the scalar form (unchanged)
    with pytest.raises(ValueError, match="beta"):
        pa.get("swish", beta=beta)            # the object (unchanged)
    with pytest.raises(ValueError, match="beta"):
        pa.swish(x, beta=beta)
    with pytest.raises(ValueError, match="beta"):
        pa.grad("swish", np.ones_like(x), x=x, beta=beta)
    out = np.full(x.shape, 7.0)
    with pytest.raises(ValueError, match="beta"):
        pa.swish(x, beta=beta, out=out)
    assert (out == 7.0).all()


def test_swish_per_channel_beta_values():
    x = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    beta = np.array([0.5, 1.0, 2.0])
    s = 1.0 / (1.0 + np.exp(-beta[None, :, None] * x))
    np.testing.assert_allclose(pa.swish(x, beta=beta), x * s, rtol=1e-14)
    want = s + x * beta[None, :, None] * s * (1 - s)
    np.testing.assert_allclose(pa.grad("swish", np.ones_like(x), x=x, beta=beta), want, rtol=1e-13, atol=1e-15)


# --- pa.rrelu in eval mode (its default) draws no seed: NumPy's global generator is left
# as it was (torch.nn.functional.rrelu(training=False) leaves torch's alone too) -----------
def test_rrelu_eval_mode_leaves_numpys_global_generator_alone():
    x = -np.ones((2, 3))
    np.random.seed(1234)
    want = np.random.rand(4)
    np.random.seed(1234)
    y = pa.rrelu(x)                                   # training=False by default
    got = np.random.rand(4)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(y, x * (1 / 8 + 1 / 3) / 2, rtol=1e-15)   # eval slope (lower + upper) / 2


def test_rrelu_training_mode_still_seeded_from_numpy():
    x = -np.ones((4, 5))
    np.random.seed(7)
    a = pa.rrelu(x, training=True)
    np.random.seed(7)
    b = pa.rrelu(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert ((a <= -1 / 8) & (a >= -1 / 3)).all() and np.unique(a).size > 1


# --- the command line (SPEC §8) ------------------------------------------------------------
import importlib.util  # noqa: E402
import json  # noqa: E402

from pyact.cli import main  # noqa: E402

_needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed")
_needs_mlp = pytest.mark.skipif(importlib.util.find_spec("pyact.mlp") is None, reason="pyact.mlp not available")


@_needs_mpl
def test_plot_reports_the_file_it_wrote_for_a_name_without_extension(capsys, tmp_path):
    target = tmp_path / "curves"
    rc = main(["plot", "relu", "-o", str(target)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    written = [line.split("wrote ", 1)[1].strip() for line in out.splitlines() if line.startswith("wrote ")]
    assert len(written) == 1
    from pathlib import Path
    assert Path(written[0]).exists(), f"reported {written[0]}, which does not exist"
    assert Path(written[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@_needs_mpl
@_needs_mlp
@pytest.mark.parametrize("command", [
    ["train", "--dataset", "xor", "--activation", "relu"],
    ["compare", "--dataset", "xor", "--activations", "relu,tanh"],
])
def test_json_output_stays_json_with_plot(capsys, tmp_path, command):
    path = tmp_path / "curves.png"
    rc = main([*command, "--epochs", "1", "--hidden", "4", "--json", "--plot", str(path)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    json.loads(out)                      # stdout is JSON alone (as with --save)
    assert path.exists() and str(path) in err


def test_bench_header_does_not_claim_torch_is_missing_when_left_out(capsys):
    rc = main(["bench", "relu", "--size", "512", "--repeats", "1", "--sample-ms", "0.2", "--no-torch"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    if importlib.util.find_spec("torch") is not None:
        assert "torch (not installed)" not in out      # it is installed, only left out
    assert "--no-torch" in out or "not installed" in out


# --- SPEC §2: calls from many Python threads at once are correct: the axis functions' cache
# of objects (one per parameter set, 64 kept) is evicted by one thread at a time ---------------
def test_axis_functions_from_many_threads_with_many_axes():
    import sys
    import threading
    import time

    x = np.ones((1,) * 32)
    errors: list[str] = []
    stop = time.monotonic() + 3.0
    want = np.ones_like(x)   # softmax over an axis of length 1 is 1; its log 0, whose grad is 0

    def worker(seed: int) -> None:
        rng = np.random.default_rng(seed)
        while time.monotonic() < stop and not errors:
            ax = int(rng.integers(-32, 32))   # 64 axes x 2 functions: more than the cache holds
            try:
                if rng.random() < 0.5:
                    np.testing.assert_array_equal(pa.softmax(x, axis=ax), want)
                else:
                    np.testing.assert_array_equal(pa.grad("log_softmax", x, x=x, axis=ax), 0 * want)
            except Exception as e:  # noqa: BLE001  (a KeyError from the cache was the bug)
                errors.append(repr(e))

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)   # switch threads often, as a loaded machine does
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[:3]


def test_bias_act_rejected_out_leaves_an_rrelu_object_alone():
    x, b = -np.ones((3, 4)), np.zeros(4)
    a, ref = pa.RReLU(seed=2), pa.RReLU(seed=2)
    with pytest.raises(TypeError):
        pa.bias_act(x, b, a, out=np.empty((3, 4), np.float32))
    with pytest.raises(ValueError):
        pa.bias_act(x, b, a, out=np.empty((3, 5)))
    np.testing.assert_array_equal(pa.bias_act(x, b, a), ref(x + b))


@pytest.mark.parametrize("name, shape", [("glu", (3, 2)), ("maxout", (3, 2)), ("softmax", (3, 4))])
def test_bias_act_unfused_out(name, shape):
    rng = np.random.default_rng(3)
    x, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    z = x + b
    want = {"glu": lambda: z[:, :2] / (1 + np.exp(-z[:, 2:])),
            "maxout": lambda: z.reshape(3, 2, 2).max(axis=2),
            "softmax": lambda: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)}[name]()
    out = np.full(shape, 7.0)
    assert pa.bias_act(x, b, name, out=out) is out
    np.testing.assert_allclose(out, want, rtol=1e-13)
    bad = np.full((3, 5), 7.0)
    with pytest.raises(ValueError):
        pa.bias_act(x, b, name, out=bad)
    assert (bad == 7.0).all()
    if shape == x.shape:                                  # out may be x itself
        xc = x.copy()
        np.testing.assert_allclose(pa.bias_act(xc, b, name, out=xc), want, rtol=1e-13)
