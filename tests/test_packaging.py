"""Packaging: ``python -m build`` makes an sdist and, from that sdist, a wheel; the wheel
holds only the package (Python modules, one compiled ``_core``, metadata); a fresh venv
with nothing but that wheel (and NumPy from the index) imports pyact and computes right.

Slow (one C++ build, of the scalar kernels only) and needs the package index (PyPI) for ``build``, the build
backend and NumPy; it skips, saying so, where the index cannot be reached.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 1500


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYACT_ISA")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kw)


def _venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / ("Scripts" if os.name == "nt" else "bin") / "python"


def _pip_install(py: Path, *args: str) -> None:
    r = _run([py, "-m", "pip", "install", "--quiet", *args], timeout=900)
    if r.returncode != 0:
        if any(s in r.stderr for s in ("Could not find a version", "Failed to establish", "No matching distribution",
                                       "Temporary failure in name resolution", "Network is unreachable")):
            pytest.skip(f"package index unreachable: pip install {' '.join(args)}")
        raise AssertionError(f"pip install {' '.join(args)} failed:\n{r.stderr[-3000:]}")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel from `python -m build` (the wheel is built from the sdist)."""
    tmp = tmp_path_factory.mktemp("dist")
    py = _venv(tmp / "buildenv")
    _pip_install(py, "build")
    out = tmp / "dist"
    # Only the scalar kernel table: this test is about what the sdist and the wheel hold
    # and that they build and install; the full build (every ISA) is the one `pip install .`
    # of the README and CI makes, and a quarter of the C++ keeps the suite short.
    r = _run([py, "-m", "build", "--outdir", out, "-C", "cmake.define.PYACT_ONLY_ISAS=scalar", ROOT],
             timeout=BUILD_TIMEOUT, cwd=tmp)
    assert r.returncode == 0, f"python -m build failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return out


def _one(d: Path, pattern: str) -> Path:
    found = sorted(d.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {d}, found {[f.name for f in found]}"
    return found[0]


def test_sdist_contents(dist):
    with tarfile.open(_one(dist, "pyact-*.tar.gz")) as tar:
        members = tar.getmembers()
    top = members[0].name.split("/")[0]
    rel = {m.name[len(top) + 1:] for m in members if m.name.startswith(top + "/")}
    files = {m.name[len(top) + 1:] for m in members if m.isfile()} - {"PKG-INFO"}
    for need in ("pyproject.toml", "CMakeLists.txt", "README.md", "src/cpp/bindings.cpp",
                 "src/cpp/kernels/apply.h", "src/pyact/__init__.py", "src/pyact/_catalog.py"):
        assert need in rel, f"sdist lacks {need}"
    bad = [n for n in rel if n.startswith(("build/", ".git/", "dist/", ".hypothesis/", ".pytest_cache/"))
           or n.endswith((".so", ".pyd", ".o")) or "__pycache__" in n]
    assert not bad, f"sdist holds build products or caches: {bad[:10]}"
    tracked = _git_tracked()
    if tracked is not None:
        # An allowlist: nothing git does not track (a venv made inside the checkout, a
        # built _core), and every tracked source and test.
        assert not files - tracked, f"sdist holds untracked files: {sorted(files - tracked)[:10]}"
        missing = {t for t in tracked if t.startswith(("src/", "tests/"))} - files
        assert not missing, f"sdist lacks tracked sources: {sorted(missing)[:10]}"


def _git_tracked() -> set[str] | None:
    """The files git tracks in this checkout, or None outside a git checkout."""
    try:
        r = _run(["git", "-C", ROOT, "ls-files", "-z"], timeout=60)
    except FileNotFoundError:
        return None
    return set(filter(None, r.stdout.split("\0"))) if r.returncode == 0 else None


def test_wheel_contents(dist):
    whl = _one(dist, "pyact-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    print(f"\n{whl.name}: {len(names)} files\n  " + "\n  ".join(names))
    info = [n for n in names if n.split("/")[0].endswith(".dist-info")]
    pkg = [n for n in names if n not in info]
    assert {n.rsplit("/", 1)[-1] for n in info} >= {"METADATA", "WHEEL", "RECORD"}
    assert all(n.startswith("pyact/") for n in pkg), [n for n in pkg if not n.startswith("pyact/")]
    cores = [n for n in pkg if n.rsplit("/", 1)[-1].startswith("_core") and n.endswith((".so", ".pyd"))]
    assert len(cores) == 1 and cores[0].count("/") == 1, f"expected one pyact/_core extension, got {cores}"
    allowed = (".py", ".pyi", "py.typed", ".json", ".csv", ".npz", ".txt", ".gz")
    licences = ("pyact/data/README.md",)  # the shipped datasets' source and licence
    odd = [n for n in pkg if n not in cores and n not in licences and not n.endswith(allowed)]
    assert not odd, f"wheel holds files the package does not need: {odd}"
    assert not [n for n in pkg if "__pycache__" in n or "/tests/" in n or n.endswith((".cpp", ".h", ".inc"))]
    assert whl.stat().st_size < 20 * 2**20, f"wheel is {whl.stat().st_size / 2**20:.1f} MiB"
    for want in ("pyact/__init__.py", "pyact/__init__.pyi", "pyact/_core.pyi", "pyact/py.typed",
                 "pyact/torch.py", "pyact/_dask.py"):  # typing and the optional adapters ship too
        assert want in names, f"{want} not in {whl.name}"


def test_wheel_in_fresh_venv(dist, tmp_path):
    py = _venv(tmp_path / "fresh")
    _pip_install(py, str(_one(dist, "pyact-*.whl")))
    smoke = textwrap.dedent("""
        import numpy as np, pyact as pa, sys
        assert pa.__file__.startswith(sys.prefix), pa.__file__   # the installed copy, not the source tree
        info = pa.info()
        assert info["isa"] in info["isas_supported"], info
        x = np.linspace(-3, 3, 100001, dtype=np.float32)
        np.testing.assert_array_equal(pa.relu(x), np.maximum(x, 0))
        np.testing.assert_array_equal(pa.grad("relu", np.ones_like(x), x=x), (x > 0).astype(np.float32))
        h = x.astype(np.float16)  # float16 is computed in float32, then rounded
        np.testing.assert_array_equal(pa.leaky_relu(h, negative_slope=0.5),
                                      np.where(h > 0, h, h.astype(np.float32) * 0.5).astype(np.float16))
        assert "relu" in pa.available()
        print("ok", info["version"], info["isa"])
    """)
    r = _run([py, "-c", smoke], cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr
