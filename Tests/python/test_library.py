import os
import subprocess
import sys
import threading

import pytest

import stasis


def test_versions_match_header():
    assert stasis.version() == "0.1.0"
    assert stasis.version_number() == 1000
    assert stasis.abi_version() == stasis.ABI_VERSION == 1
    assert os.path.isfile(stasis.library_path)


def test_thread_setting_round_trips():
    stasis.set_num_threads(1)
    assert stasis.get_num_threads() == 1
    stasis.set_num_threads(0)
    assert stasis.get_num_threads() >= 1
    with pytest.raises(stasis.InvalidArgumentError, match="-3"):
        stasis.set_num_threads(-3)


def test_kernel_switch_round_trips():
    best = stasis.kernel_name()
    assert best in ("avx512", "avx2", "portable")
    try:
        stasis.set_portable_kernels(True)
        assert stasis.kernel_name() == "portable"
    finally:
        stasis.set_portable_kernels(False)
    assert stasis.kernel_name() == best or best == "portable"


def test_portable_kernels_from_the_environment():
    result = _run("import stasis; print(stasis.kernel_name())", {"STASIS_PORTABLE_KERNELS": "1"})
    assert result.stdout.strip() == "portable", result.stderr


def test_errors_are_per_thread():
    with pytest.raises(stasis.InvalidArgumentError):
        stasis.Index(0, "Flat")
    seen = []
    worker = threading.Thread(target=lambda: seen.append(stasis._loader.lib.stasis_last_error()))
    worker.start()
    worker.join()
    assert seen == [b""]


def _run(code, env_extra):
    env = dict(os.environ, **env_extra)
    binding = os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python")
    env["PYTHONPATH"] = binding
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_missing_library_names_the_paths_tried(tmp_path):
    missing = tmp_path / "nope" / "libstasis.so"
    # Hide the repository build too, by pointing the override at a missing file first and
    # checking it is reported among the candidates.
    result = _run("import stasis", {"STASIS_LIBRARY": str(missing)})
    if result.returncode == 0:
        # The repository build was found after the override; the override must still be tried first.
        result = _run("import stasis._loader as l; print(list(l._candidates())[0])", {"STASIS_LIBRARY": str(missing)})
        assert result.stdout.strip() == str(missing)
    else:
        assert str(missing) in result.stderr


def test_unloadable_library_is_reported(tmp_path):
    bogus = tmp_path / "libstasis.so"
    bogus.write_bytes(b"not an ELF file")
    code = (
        "import stasis._loader as l\n"
        "l._candidates = lambda: iter([%r])\n"
        "try:\n    l._load()\nexcept ImportError as e:\n    print(e)\n" % str(bogus)
    )
    result = _run(code, {})
    assert str(bogus) in result.stdout
