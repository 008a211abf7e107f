"""Type information: the stubs are shipped (py.typed, _core.pyi, __init__.pyi), cover the
extension and the catalog, and mypy reads them."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

import pyact as pa
from pyact import _core, _stubgen

PKG = pathlib.Path(pa.__file__).parent
HERE = pathlib.Path(__file__).parent / "typing"


def test_marker_and_stubs_present():
    for name in ("py.typed", "_core.pyi", "__init__.pyi"):
        assert (PKG / name).exists(), name


def test_core_stub_declares_every_extension_function():
    tree = ast.parse((PKG / "_core.pyi").read_text())
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    public = {n for n in dir(_core) if not n.startswith("_") and callable(getattr(_core, n))}
    assert public - declared == set(), f"_core.pyi lacks {sorted(public - declared)}"
    # Only functions of families declared ahead of their merge may be absent from the build.
    ahead = (PKG / "_core.pyi").read_text().split("declared ahead of merging", 1)[-1]
    absent = {n for n in declared - public if f"def {n}(" not in ahead}
    assert absent == set(), f"_core.pyi declares {sorted(absent)}, which _core has not"


def test_init_stub_is_current():
    stub = (PKG / "__init__.pyi").read_text()
    tree = ast.parse(stub)
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    declared |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    declared |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}  # aliases: silu = swish
    missing = set(pa.__all__) - declared
    if missing:  # new catalog entries since the stub was written: typed as Any until then
        pytest.skip(f"src/pyact/__init__.pyi lacks {sorted(missing)}: run `python -m pyact._stubgen`")
    assert stub == _stubgen.render(), "src/pyact/__init__.pyi is out of date: run `python -m pyact._stubgen`"


def test_mypy_reads_the_stubs(tmp_path):
    pytest.importorskip("mypy")
    files = [HERE / "usage_ok.py", HERE / "usage_bad.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-error-summary", "--hide-error-context", "--no-color-output",
         "--cache-dir", str(pathlib.Path(__file__).parent.parent / "build" / "mypy-cache"),
         "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}", *map(str, files)],
        # From the source tree mypy reads src/pyact; an installed pyact it finds through the
        # interpreter (py.typed), never from site-packages as cwd (it would shadow modules).
        capture_output=True, text=True, cwd=PKG.parent if PKG.parent.name == "src" else tmp_path)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if "usage_ok.py" in e], proc.stdout
    bad = (HERE / "usage_bad.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(bad) if line.rstrip().endswith("# E")}
    flagged = {int(e.split(":")[1]) for e in errors if "usage_bad.py" in e}
    assert flagged == expected, proc.stdout
