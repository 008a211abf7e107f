"""One wheel for every CPU: the x86-64 build under emulated older CPUs (qemu-user), and
the aarch64 NEON kernels cross-compiled and run under qemu-aarch64.

Needs Debian's ``qemu-user`` (and ``g++-aarch64-linux-gnu`` for the aarch64 part):
``.ci/cross.sh`` installs them; without them these tests skip.
"""
from __future__ import annotations

import os
import pathlib
import platform
import shutil
import subprocess
import sys

import pytest

import pyact as pa

pytestmark = pytest.mark.slow

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent
QEMU_X86 = shutil.which("qemu-x86_64")
QEMU_ARM = shutil.which("qemu-aarch64")
CROSS_CXX = shutil.which("aarch64-linux-gnu-g++")

# qemu's CPU model -> the ISA pyact must pick there (x86-64 build).
MODELS = {"Nehalem": "sse4", "Haswell": "avx2"}
# 256-bit `vpxor ymm0, ymm0, ymm0` (AVX2) and 512-bit `vpxorq zmm0, zmm0, zmm0` (AVX-512F).
AVX2_INSN, AVX512_INSN = "c5fdefc0", "62f1fd48efc0"

x86 = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or QEMU_X86 is None,
                         reason="needs an x86-64 host and qemu-x86_64 (apt-get install qemu-user)")


def _env() -> dict:
    env = dict(os.environ)
    src = str(pathlib.Path(pa.__file__).parent.parent)  # where this pyact was imported from
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYACT_ISA", None)
    return env


def _emulated(cpu: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    python = os.path.realpath(sys.executable)
    return subprocess.run([QEMU_X86, "-cpu", cpu, python, *args], capture_output=True, text=True,
                          env=_env(), timeout=timeout)


def _illegal(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode in (-4, 132)  # SIGILL


@x86
@pytest.mark.parametrize("cpu,insn,traps", [("Nehalem", AVX2_INSN, True), ("Haswell", AVX2_INSN, False),
                                            ("Haswell", AVX512_INSN, True)])
def test_qemu_enforces_the_cpu_model(cpu, insn, traps):
    # The control: an instruction the model lacks must die as illegal, or the smoke run
    # below would prove nothing.
    code = ("import ctypes, mmap; m = mmap.mmap(-1, 4096, prot=7); "
            f"m.write(bytes.fromhex('{insn}') + b'\\xc3'); "
            "ctypes.CFUNCTYPE(None)(ctypes.addressof(ctypes.c_char.from_buffer(m)))()")
    proc = _emulated(cpu, "-c", code, timeout=120)
    assert _illegal(proc) == traps, (proc.returncode, proc.stderr[-2000:])


@x86
@pytest.mark.parametrize("cpu", MODELS)
def test_smoke_under_emulated_cpu(cpu):
    proc = _emulated(cpu, str(HERE / "qemu_smoke.py"))
    # Not pyact's fault where NumPy alone dies too: the NumPy 2.4.6 wheel's import ran an AVX
    # instruction (vxorps, VEX) under qemu 7.2's -cpu Nehalem on the Zen 5 CI host (2026-12-02).
    if _illegal(proc) and _illegal(_emulated(cpu, "-c", "import numpy", timeout=300)):
        pytest.skip(f"NumPy itself dies of an illegal instruction under -cpu {cpu} here")
    assert not _illegal(proc), f"illegal instruction under -cpu {cpu}:\n{proc.stdout[-3000:]}"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    # the model's best ISA, or the best this build holds below it (a dev build may hold
    # a subset: PYACT_ONLY_ISAS)
    order = ["scalar", "sse4", "avx2", "avx512"]
    held = [i for i in order[:order.index(MODELS[cpu]) + 1] if i in pa.info()["isas_compiled"]]
    assert f"ISA {held[-1]}" in lines, lines[:3]
    assert lines[-1].endswith(" 0 failed")
    # The emulated CPU gives the bits the real one gives for the same ISA's kernels.
    digests = {ln.split()[1]: ln.split()[2] for ln in lines if ln.startswith("DIGEST ")}
    assert set(digests) >= {"scalar", held[-1]}
    native = subprocess.run([sys.executable, str(HERE / "qemu_smoke.py"), "--isas", ",".join(digests)],
                            capture_output=True, text=True, env=_env(), timeout=600)
    native_digests = {ln.split()[1]: ln.split()[2] for ln in native.stdout.splitlines() if ln.startswith("DIGEST ")}
    for isa, d in digests.items():
        if isa in native_digests:
            assert native_digests[isa] == d, f"{isa}: emulated {cpu} and native results differ"


@pytest.mark.skipif(QEMU_ARM is None or CROSS_CXX is None,
                    reason="needs qemu-aarch64 and aarch64-linux-gnu-g++ (.ci/cross.sh installs them)")
def test_aarch64_neon_kernels_under_qemu(tmp_path):
    if not (ROOT / "src" / "cpp" / "dispatch" / "table_isa.cpp").exists():
        pytest.skip("needs the C++ sources (a source checkout)")
    exe, cases = tmp_path / "selftest-aarch64", tmp_path / "cases.txt"
    build = subprocess.run(["bash", str(HERE / "cpp" / "build_selftest.sh"), CROSS_CXX, str(exe)],
                           capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    with open(cases, "w") as f:
        subprocess.run([sys.executable, str(HERE / "cpp" / "make_selftest_data.py")], stdout=f, check=True,
                       env=_env(), timeout=300)
    run = subprocess.run([QEMU_ARM, "-L", "/usr/aarch64-linux-gnu", str(exe), str(cases)],
                         capture_output=True, text=True, timeout=600)
    out = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert any(ln.startswith("isa neon") for ln in out) and any(ln.startswith("isa scalar") for ln in out), out[:5]
    assert out[-1].endswith(" 0 failed") and not out[-1].startswith("0 passed"), out[-5:]
