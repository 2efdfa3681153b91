"""The binding picks OpenBLAS kernels by the CPU's instruction sets (never over a caller's choice)."""
import os
import subprocess
import sys

from stasis import _loader


def test_core_follows_the_flags():
    avx512 = ["sse3", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    assert _loader.openblas_core_for(avx512) == "SkylakeX"
    assert _loader.openblas_core_for(["sse3", "avx", "avx2", "fma"]) == "Haswell"
    assert _loader.openblas_core_for(["sse3", "avx2", "fma", "avx512f"]) == "Haswell"  # partial AVX-512
    assert _loader.openblas_core_for(["sse3", "sse4_2"]) is None


def run_import(env):
    code = "import os, stasis; print(os.environ.get('OPENBLAS_CORETYPE', '-'))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_callers_choice_and_the_opt_out_are_kept():
    env = dict(os.environ)
    env["OPENBLAS_CORETYPE"] = "Prescott"
    assert run_import(env) == "Prescott"
    env.pop("OPENBLAS_CORETYPE")
    env["STASIS_OPENBLAS_AUTO"] = "0"
    assert run_import(env) == "-"
    env.pop("STASIS_OPENBLAS_AUTO")
    with open("/proc/cpuinfo") as info:
        flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    assert run_import(env) == (_loader.openblas_core_for(flags) or "-")
