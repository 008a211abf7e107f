"""The ``pyact`` command: every subcommand (tiny sizes), --help, one-line errors with exit
status 2, plots that are real PNGs of the expected size, ``list`` matching the catalog,
the bench's NumPy baselines against the float64 references, and the README table."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog, bench, cli
from pyact.cli import main

from conftest import example_params
from reference import REF

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("list", "info", "plot", "bench", "accuracy", "train", "compare", "demo")
HAS_MPL = importlib.util.find_spec("matplotlib") is not None
HAS_MLP = importlib.util.find_spec("pyact.mlp") is not None and importlib.util.find_spec("pyact.datasets") is not None
needs_mpl = pytest.mark.skipif(not HAS_MPL, reason="matplotlib (the plot extra) not installed")
needs_mlp = pytest.mark.skipif(not HAS_MLP, reason="pyact.mlp / pyact.datasets not in this build")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND", "truncated PNG"
    return struct.unpack(">II", data[16:24])


# --- help and errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", COMMANDS)
def test_help(capsys, cmd):
    rc, out, _ = run(capsys, cmd, "--help")
    assert rc == 0
    assert out.startswith(f"usage: pyact {cmd}")


def test_no_command_prints_help(capsys):
    rc, out, _ = run(capsys)
    assert rc == 0
    for cmd in COMMANDS:
        assert cmd in out


BAD = [
    (["frob"], "invalid choice"),
    (["plot", "relo"], "closest: relu"),
    (["plot", "relu:foo=1"], "valid parameters"),
    (["plot", "relu:max_value=-1"], "max_value"),
    (["plot", "hard_tanh:min_val=2,max_val=1"], "max_val"),
    (["plot", "relu:oops"], "NAME:param=value"),
    (["plot", "relu", "--range", "5", "-5"], "A < B"),
    (["plot", "relu", "--range", "x", "5"], "invalid float"),
    (["bench", "relu", "--size", "abc"], "invalid int"),
    (["bench", "relu", "--size", "0"], "--size"),
    (["bench", "relu", "--threads", "0"], "--threads"),
    (["bench", "nope"], "unknown activation"),
    (["bench", "relu", "--dtype", "int8"], "invalid choice"),
    (["accuracy", "relo"], "closest: relu"),
    (["train", "--dataset", "digits"], "--activation"),
    (["train", "--dataset", "nope", "--activation", "relu"], "invalid choice"),
    (["train", "--dataset", "digits", "--activation", "relo"], "closest: relu"),
    (["train", "--dataset", "digits", "--activation", "relu", "--hidden", "a,b"], "layer sizes"),
    (["train", "--dataset", "digits", "--activation", "relu", "--epochs", "0"], "must be > 0"),
    (["compare", "--dataset", "digits", "--activations", "relu,nope"], "unknown activation"),
    (["compare", "--dataset", "digits", "--activations", ","], "at least one"),
    (["demo", "--epochs", "-1"], "must be > 0"),
    (["list", "--json", "--markdown"], "not allowed"),
]


@pytest.mark.parametrize("argv,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_one_line_exit_2(capsys, argv, fragment):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pyact") and "error:" in lines[0]
    assert fragment in lines[0]
    assert "Traceback" not in err


def _env() -> dict:
    env = dict(os.environ)
    src = str(Path(pa.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_python_dash_m(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "pyact", "list", "--json"], capture_output=True, text=True,
                        env=_env(), cwd=tmp_path, timeout=120)
    assert ok.returncode == 0, ok.stderr
    # the built-in catalog: a fresh process has none of the activations that other test
    # files register in this one
    assert [r["name"] for r in json.loads(ok.stdout)] == sorted(a.name for a in _catalog.CATALOG)
    bad = subprocess.run([sys.executable, "-m", "pyact", "plot", "relo"], capture_output=True, text=True,
                         env=_env(), cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "relu" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- parsing -----------------------------------------------------------------------------------
def test_parse_activation_values():
    assert cli.parse_activation("relu") == ("relu", {})
    assert cli.parse_activation("relu:max_value=None,threshold=0.5") == ("relu", {"max_value": None, "threshold": 0.5})
    assert cli.parse_activation("leaky_relu:alpha=0.2") == ("leaky_relu", {"alpha": 0.2})
    name, p = cli.parse_activation("relu:negative_slope=1e-2")
    assert p == {"negative_slope": 0.01} and isinstance(p["negative_slope"], float)
    assert cli._value("tanh") == "tanh" and cli._value("3") == 3 and cli._value("true") is True


def test_split_list_keeps_parameters_with_their_activation():
    assert cli._split_list("relu:max_value=6,threshold=1,hard_tanh,leaky_relu:alpha=0.2") == [
        "relu:max_value=6,threshold=1", "hard_tanh", "leaky_relu:alpha=0.2"]
    assert cli._split_list(" relu , ,tanh ") == ["relu", "tanh"]


# --- list / info -------------------------------------------------------------------------------
def test_list_json_matches_catalog(capsys):
    rc, out, _ = run(capsys, "list", "--json")
    assert rc == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == pa.available()
    for r in rows:
        spec = _catalog.by_name(r["name"])
        assert spec is not None and spec.name == r["name"]
        assert r["aliases"] == list(spec.aliases)
        assert r["family"] == spec.family and r["class"] == spec.cls
        assert [p["name"] for p in r["params"]] == [q.name for q in spec.params]
        for p, q in zip(r["params"], spec.params):
            assert p["required"] == (q.default is _catalog.REQUIRED)
            if not p["required"] and not isinstance(q.default, np.ndarray):
                assert p["default"] == q.default
        obj = pa.get(r["name"], **example_params(spec))
        assert r["y_ok"] == obj.y_ok
        assert r["learnable"] == list(obj.learnable)


def test_list_plain_one_line_each(capsys):
    rc, out, _ = run(capsys, "list")
    assert rc == 0
    body = out.splitlines()[2:2 + len(pa.available())]
    assert [line.split()[0] for line in body] == pa.available()
    for alias in (a for act in _catalog.CATALOG for a in act.aliases):
        assert alias in out


def test_list_includes_registered(capsys):
    pa.register("cli_test_sine", np.sin, lambda g, x, y: g * np.cos(x), overwrite=True)
    try:
        rc, out, _ = run(capsys, "list", "--json")
        assert "cli_test_sine" in [r["name"] for r in json.loads(out)]
    finally:
        from pyact import registry
        registry._USER.pop("cli_test_sine", None)


def test_info(capsys):
    rc, out, _ = run(capsys, "info", "--json")
    assert rc == 0
    info = json.loads(out)
    for k, v in pa.info().items():
        assert info[k] == v
    rc, out, _ = run(capsys, "info")
    assert rc == 0 and pa.info()["isa"] in out and "num_threads" in out


# --- plot ----------------------------------------------------------------------------------------
@needs_mpl
@pytest.mark.parametrize("names,grad,size", [
    (["relu"], False, (700, 460)),
    (["leaky_relu:negative_slope=0.2", "hard_tanh"], True, (700, 460)),
    (["relu", "relu6", "hard_sigmoid", "softsign", "hard_swish"], True, (1420, 630)),   # a 4 x 2 grid
])
def test_plot_png(capsys, tmp_path, names, grad, size):
    path = tmp_path / "p.png"
    rc, out, err = run(capsys, "plot", *names, *(["--grad"] if grad else []), "-o", str(path))
    assert rc == 0, err
    assert png_size(path) == size
    from matplotlib.image import imread
    img = imread(str(path))[..., :3]
    blue = np.all(np.abs(img - np.array([0x00, 0x72, 0xB2]) / 255) < 0.03, axis=-1)
    assert blue.sum() > 500, "the first curve is not drawn"
    assert str(path) in out


@needs_mpl
def test_plot_range_dpi_layout(capsys, tmp_path):
    path = tmp_path / "g.png"
    rc, _, err = run(capsys, "plot", "relu", "step", "--layout", "grid", "--range", "-2", "2", "--dpi", "50",
                     "-o", str(path))
    assert rc == 0, err
    assert png_size(path) == (int(50 * (3.4 * 2 + 0.6)), int(50 * (2.9 + 0.5)))


@needs_mpl
def test_plot_missing_folder(capsys, tmp_path):
    rc, _, err = run(capsys, "plot", "relu", "-o", str(tmp_path / "nope" / "p.png"))
    assert rc == 2 and "does not exist" in err


def test_plot_without_matplotlib(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    rc, out, err = run(capsys, "plot", "relu", "-o", str(tmp_path / "p.png"))
    assert rc == 2
    assert "matplotlib" in err and "pip install" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.png").exists()


def test_curves_against_formulas():
    from pyact import plot
    xs = np.linspace(-4, 4, 161)
    y, d = plot.curves(pa.get("leaky_relu", negative_slope=0.25), xs)
    np.testing.assert_allclose(y, np.where(xs > 0, xs, 0.25 * xs), rtol=1e-6)
    np.testing.assert_allclose(d, np.where(xs > 0, 1.0, 0.25), rtol=1e-6)
    y, d = plot.curves(pa.get("softsign"), xs)
    np.testing.assert_allclose(y, xs / (1 + np.abs(xs)), rtol=1e-6)
    np.testing.assert_allclose(d, 1 / (1 + np.abs(xs)) ** 2, rtol=1e-6)


def test_unjoin_breaks_only_jumps():
    from pyact import plot
    xs = np.linspace(-1, 1, 201)
    x2, y2 = plot._unjoin(xs, (xs >= 0).astype(float))
    assert np.isnan(y2).sum() == 1 and np.nanmax(np.diff(y2[~np.isnan(y2)])) == 1.0
    for smooth in (np.maximum(xs, 0), np.exp(5 * xs), xs ** 3):
        assert not np.isnan(plot._unjoin(xs, smooth)[1]).any()


# --- bench ---------------------------------------------------------------------------------------
def test_bench_json(capsys):
    rc, out, err = run(capsys, "bench", "relu", "leaky_relu:negative_slope=0.2", "--size", "4096",
                       "--repeats", "1", "--sample-ms", "0.05", "--threads", "1", "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert rep["size"] == 4096 and rep["dtype"] == "float32" and rep["threads"] == 1
    assert rep["bandwidth"]["inplace_gb_per_s"] > 0 and rep["bandwidth"]["copy_gb_per_s"] > 0
    rows = rep["results"]
    assert [(r["name"], r["direction"]) for r in rows] == [
        ("relu", "forward"), ("relu", "backward"), ("leaky_relu", "forward"), ("leaky_relu", "backward")]
    assert rows[2]["params"] == {"negative_slope": 0.2}
    for r in rows:
        assert r["pyact"]["ns_per_element"] > 0 and r["pyact"]["gb_per_s"] > 0
        assert r["numpy"]["ns_per_element"] > 0
        assert r["speedup_vs_numpy"] == pytest.approx(r["numpy"]["ns_per_element"] / r["pyact"]["ns_per_element"])
        assert r["fraction_of_bandwidth"] > 0
        if importlib.util.find_spec("torch") is not None:
            assert r["torch"]["ns_per_element"] > 0


def test_bench_bandwidth_probe_measures_memory_not_numpy_float16(capsys):
    """The probe moves the dtype's bytes as float32: NumPy's float16 multiply runs one
    element at a time, and as the probe it put pyact's float16 rows at ~40x the bandwidth."""
    rc, out, err = run(capsys, "bench", "relu", "--size", "262144", "--repeats", "3", "--sample-ms", "0.5",
                       "--threads", "1", "--dtype", "float16", "--no-torch", "--json")
    assert rc == 0, err
    rep = json.loads(out)
    assert all(0 < r["fraction_of_bandwidth"] < 8 for r in rep["results"]), rep["results"]


def test_bench_table_and_dtype(capsys):
    rc, out, err = run(capsys, "bench", "relu6", "--size", "1000", "--repeats", "1", "--sample-ms", "0.05",
                       "--dtype", "float64", "--no-torch")
    assert rc == 0, err
    assert "float64" in out and "GB/s" in out and "relu6" in out
    assert re.search(r"relu6\s+fwd\s+\d", out) and re.search(r"relu6\s+bwd\s+\d", out)


def _bench_cases():
    for act in _catalog.CATALOG:
        if act.family == "elementwise" and act.name in bench.NUMPY and act.name in REF:
            yield act


@pytest.mark.parametrize("act", list(_bench_cases()), ids=lambda a: a.name)
def test_numpy_baselines_match_references(act):
    """The bench's NumPy expressions compute the same function as the tests' references
    (otherwise the speed comparison would be against the wrong thing)."""
    p = {**act.defaults, **example_params(act)}
    x = np.linspace(-6, 6, 1201) + 0.0013          # off the kinks at integers and 0
    f, df = REF[act.name]
    nf, nb = bench.NUMPY[act.name]
    kw = {k: v for k, v in p.items()}
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(nf(x, p), f(x, **kw), rtol=1e-9, atol=1e-12)
        g = np.cos(x)
        np.testing.assert_allclose(nb(g, x, p), g * df(x, **kw), rtol=1e-8, atol=1e-12)


# --- accuracy ------------------------------------------------------------------------------------
def test_accuracy_with_a_module(capsys, monkeypatch):
    calls = {}

    def accuracy_table(names=None, exhaustive=False, progress=None):
        calls.update(names=names, exhaustive=exhaustive)
        for i in range(3):
            progress(i + 1, 3)
        progress("relu float32 fwd")       # pyact.accuracy's form: a label before each sweep
        return [("relu", "float32", "forward", 0, 1.5), {"function": "relu", "dtype": "float64",
                                                          "direction": "backward", "max_ulp": 0.5, "worst_x": -2.0}]
    fake = types.ModuleType("pyact.accuracy")
    fake.accuracy_table = accuracy_table
    monkeypatch.setitem(sys.modules, "pyact.accuracy", fake)
    rc, out, err = run(capsys, "accuracy", "relu", "--exhaustive")
    assert rc == 0, err
    assert calls == {"names": ["relu"], "exhaustive": True}
    assert "max ULP" in out and "float64" in out and (-2.0).hex() in out
    rc, out, _ = run(capsys, "accuracy", "--json")
    assert rc == 0 and json.loads(out)[1]["max_ulp"] == 0.5 and calls["names"] is None


def test_accuracy_without_the_module(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyact.accuracy", None)
    rc, out, err = run(capsys, "accuracy")
    assert rc == 2 and "pyact.accuracy" in err and len(err.strip().splitlines()) == 1


# --- train / compare / demo ------------------------------------------------------------------------
def test_train_without_the_trainer(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyact.mlp", None)
    rc, _, err = run(capsys, "train", "--dataset", "xor", "--activation", "relu")
    assert rc == 2 and "pyact.mlp" in err and "Traceback" not in err
    rc, _, err = run(capsys, "compare", "--dataset", "xor", "--activations", "relu")
    assert rc == 2 and "pyact.mlp" in err


@needs_mlp
def test_train_json(capsys):
    rc, out, err = run(capsys, "train", "--dataset", "xor", "--activation", "leaky_relu:negative_slope=0.1",
                       "--hidden", "8", "--epochs", "3", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["activation"] == "leaky_relu:negative_slope=0.1"
    assert 0.5 < r["test_accuracy"] <= 1.0       # xor is learnable: well above chance
    assert r["epochs"] == 3 and len(r["history"]) == 3
    assert len(r["dead_fraction"]) == 1 and 0 <= r["dead_fraction"][0] <= 1
    assert r["final_loss"] == r["history"][-1]["loss"]


@needs_mlp
@pytest.mark.skipif(not HAS_MPL, reason="matplotlib not installed")
def test_train_and_compare_plots(capsys, tmp_path):
    rc, out, err = run(capsys, "train", "--dataset", "moons", "--activation", "relu", "--hidden", "8",
                       "--epochs", "2", "--plot", str(tmp_path / "t.png"))
    assert rc == 0, err
    assert png_size(tmp_path / "t.png") == (900, 380)
    assert "test acc" in out
    rc, out, err = run(capsys, "compare", "--dataset", "xor", "--activations", "relu,hard_tanh,softsign",
                       "--hidden", "8", "--epochs", "2", "--plot", str(tmp_path / "c.png"))
    assert rc == 0, err
    assert png_size(tmp_path / "c.png") == (1000, 400)
    rows = [line.split()[0] for line in out.splitlines()[3:6]]
    assert rows == ["relu", "hard_tanh", "softsign"]


@needs_mlp
def test_compare_same_seed_same_result(capsys):
    argv = ["compare", "--dataset", "xor", "--activations", "relu,relu", "--hidden", "8", "--epochs", "2",
            "--json"]
    rc, out, _ = run(capsys, *argv)
    a, b = json.loads(out)
    assert a["history"][-1]["loss"] == b["history"][-1]["loss"]
    assert a["test_accuracy"] == b["test_accuracy"]


@needs_mlp
def test_train_save_path_checked_before_training(capsys, tmp_path):
    for path, fragment in ((tmp_path / "nope" / "m.npz", "does not exist"), (tmp_path, "is a folder")):
        rc, out, err = run(capsys, "train", "--dataset", "xor", "--activation", "relu", "--hidden", "4",
                           "--epochs", "1", "--save", str(path))
        assert rc == 2 and out == "" and fragment in err   # nothing trained, nothing printed
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@needs_mlp
def test_train_save_os_error_is_one_line(capsys, tmp_path, monkeypatch):
    import errno
    from pyact.mlp import MLP

    def full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(MLP, "save", full)
    rc, _, err = run(capsys, "train", "--dataset", "xor", "--activation", "relu", "--hidden", "4", "--epochs", "1",
                     "--save", str(tmp_path / "m.npz"))
    assert rc == 2 and "No space left on device" in err
    assert err.strip().splitlines()[-1].startswith("pyact train: error:") and "Traceback" not in err


@needs_mlp
@pytest.mark.parametrize("argv,fragment", [
    (["train", "--activation", "maxout:pieces=3"], "not divisible by pieces=3"),
    (["train", "--activation", "prelu:num_parameters=3"], "hidden layer 0"),
    (["train", "--activation", "relu", "--test-size", "0.999"], "needs at least 2"),
    (["train", "--activation", "relu", "--lr", "inf"], "lr"),
    (["compare", "--activations", "relu,glu:axis=0"], "glu"),
], ids=["maxout-pieces-3", "prelu-3-channels", "test-size", "lr-inf", "compare-glu-axis-0"])
def test_train_arguments_the_model_refuses_are_one_line(capsys, argv, fragment):
    rc, out, err = run(capsys, *argv, "--dataset", "xor", "--hidden", "8", "--epochs", "1")
    assert rc == 2 and out == "" and fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@needs_mlp
@pytest.mark.parametrize("activation", ["maxout", "glu", "maxout:pieces=4"])
def test_train_width_changing_activations(capsys, activation):
    rc, out, err = run(capsys, "train", "--dataset", "spirals", "--activation", activation, "--hidden", "16,8",
                       "--epochs", "2", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert 0 < r["test_accuracy"] <= 1 and len(r["dead_fraction"]) == 2


@needs_mlp
def test_train_rrelu_same_seed_same_run_and_saved_model_predicts(capsys, tmp_path):
    argv = ["train", "--dataset", "xor", "--activation", "rrelu", "--hidden", "8,4", "--epochs", "2", "--json"]
    runs = []
    for k in range(2):
        rc, out, err = run(capsys, *argv, "--save", str(tmp_path / f"r{k}.npz"))
        assert rc == 0, err
        runs.append(json.loads(out))   # --json: stdout is JSON only, "wrote" goes to stderr
        assert f"wrote {tmp_path / f'r{k}.npz'}" in err
    untimed = [[{k: v for k, v in e.items() if k != "seconds"} for e in r["history"]] for r in runs]
    assert untimed[0] == untimed[1] and runs[0]["test_accuracy"] == runs[1]["test_accuracy"]
    model = pa.MLP.load(tmp_path / "r0.npz")
    _, _, Xte, yte = cli.load_dataset("xor", 0, 0.25)
    assert model.predict(Xte).shape == yte.shape
    assert model.score(Xte, yte) == runs[0]["test_accuracy"]
    rc, out, _ = run(capsys, "compare", "--dataset", "xor", "--activations", "rrelu,rrelu", "--hidden", "8",
                     "--epochs", "2", "--json")
    a, b = json.loads(out)
    assert a["history"][-1]["loss"] == b["history"][-1]["loss"] and a["test_accuracy"] == b["test_accuracy"]


def test_demo(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    rc, out, err = run(capsys, "demo", "--out", str(out_dir), "--epochs", "1", "--bench-size", "2048")
    assert rc == 0, err
    for section in ("pyact", "speed", "learning", "pictures"):
        assert section in out
    assert "GB/s" in out
    if HAS_MPL:
        assert png_size(out_dir / "activations.png")[0] > 0
        if HAS_MLP:
            assert png_size(out_dir / "compare.png") == (1000, 400)
    else:
        assert "pip install" in out


# --- progress --------------------------------------------------------------------------------------
class _TTY:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_bar_and_callback_forms():
    s = _TTY()
    bar = cli.Progress(4, "work", stream=s)
    bar.update()
    assert "1/4" in s.text
    cb = bar.callback()
    cb(3, 4, "tanh")
    assert "3/4" in s.text and "tanh" in s.text
    cb(done=8, total=10)
    assert "8/10" in s.text
    bar.close()
    quiet = cli.Progress(3, "x", stream=types.SimpleNamespace(write=None, isatty=lambda: False))
    quiet.update()      # not a terminal: draws nothing (write=None would raise)


# --- README ----------------------------------------------------------------------------------------
START, END = "<!-- activation-table:start -->", "<!-- activation-table:end -->"


def test_readme_table_matches_catalog():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("no README.md next to the tests (installed without the source tree)")
    text = readme.read_text(encoding="utf-8")
    assert START in text and END in text
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == cli.markdown_table().strip(), (
        "README.md's activation table differs from the catalog: run  python tools/gen_readme_table.py")
