"""`pip wheel .` builds one wheel that carries the extension, the stubs and py.typed,
and installs into a fresh environment where pyact imports and computes."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.slow
ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_pip_wheel_contents_and_install(tmp_path):
    if not (ROOT / "pyproject.toml").exists() or not (ROOT / "src" / "cpp").exists():
        pytest.skip("needs the source tree")
    isolated = not (importlib.util.find_spec("scikit_build_core") and importlib.util.find_spec("pybind11"))
    cmd = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(tmp_path / "dist"),
           "-C", f"build-dir={tmp_path / 'build'}"] + ([] if isolated else ["--no-build-isolation"])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    (wheel,) = (tmp_path / "dist").glob("pyact-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for want in ("pyact/__init__.py", "pyact/__init__.pyi", "pyact/_core.pyi", "pyact/py.typed",
                 "pyact/torch.py", "pyact/_dask.py"):
        assert want in names, f"{want} not in {wheel.name}"
    assert any(n.startswith("pyact/_core") and n.endswith(".so") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    code = ("import pyact as pa, numpy as np, pathlib; "
            "assert 'site-packages' in pa.__file__, pa.__file__; "
            "assert (pathlib.Path(pa.__file__).parent / 'py.typed').exists(); "
            "print(pa.info()['isa'], pa.relu6(np.array([-1.0, 3.0, 9.0])).tolist())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed copy, not src/
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split(maxsplit=1)[1].strip() == "[0.0, 3.0, 6.0]"
