"""The wheel (scripts/wheel.sh) installs into a fresh virtual environment and runs the Python quick
start away from the checkout, on the libraries it carries.

The wheel is built once per module from build/lib/libstasis.so (scripts/test.sh runs after the
build). The installed package runs from a temporary folder with a bare environment (no PYTHONPATH,
LD_LIBRARY_PATH or STASIS_LIBRARY, no /opt/swift on PATH). Where a private mount namespace can be
made (root, `unshare -m`), it also runs as on a machine without the checkout, the toolchain or the
Debian libraries: the checkout and /opt/swift are covered by empty folders and the system's
OpenBLAS and GCC runtimes by /dev/null, so only what the wheel installed can load.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile

import pytest

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The libraries auditwheel must have bundled: Debian's OpenBLAS and the GCC runtimes it and Faiss use.
BUNDLED = ("libopenblas", "libgfortran", "libgomp", "libquadmath")


def _header_version():
    with open(os.path.join(REPO, "include", "stasis.h")) as header:
        return re.search(r'#define STASIS_VERSION "([^"]+)"', header.read()).group(1)


def _run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    _run([os.path.join(REPO, "scripts", "wheel.sh"), str(out)])
    wheels = [name for name in os.listdir(out) if name.endswith(".whl")]
    assert len(wheels) == 1, wheels
    return os.path.join(out, wheels[0])


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh virtual environment (no system site-packages) with the wheel and numpy installed."""
    root = str(tmp_path_factory.mktemp("venv"))
    _run([sys.executable, "-m", "venv", root])
    python = os.path.join(root, "bin", "python")
    # pip keeps the machine's PIP_* settings (its package mirror); nothing else leaks in.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH", "STASIS_LIBRARY")}
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel, "numpy"], env=env)
    return root, python


def _bare_env(home):
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def _system_copies():
    """The real files of the system libraries the wheel must carry, as the build's .so finds them."""
    listing = _run(["ldd", os.path.join(REPO, "build", "lib", "libstasis.so")])
    paths = [line.split("=>")[1].split()[0] for line in listing.splitlines() if "=>" in line]
    found = [os.path.realpath(p) for p in paths if os.path.basename(p).startswith(BUNDLED)]
    assert len(found) == len(BUNDLED), listing
    return found


_HIDE = (
    'set -e; for f in "$@"; do if [ -d "$f" ]; then mount -t tmpfs none "$f"; '
    'else mount --bind /dev/null "$f"; fi; done; exec {command}'
)


def _isolated(command):
    """``command`` in a private mount namespace hiding the checkout, /opt/swift and the system's
    copies of the bundled libraries; the bare command where no namespace can be made."""
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        return command
    hidden = [REPO] + [p for p in ["/opt/swift"] if os.path.isdir(p)] + _system_copies()
    script = _HIDE.format(command=" ".join(shlex.quote(part) for part in command))
    return ["unshare", "-m", "sh", "-c", script, "sh"] + hidden


def test_wheel_is_named_and_tagged_for_its_platform_and_carries_the_libraries(wheel):
    name = os.path.basename(wheel)
    # py3 (ctypes: any Python 3), no ABI, a manylinux platform tag chosen by auditwheel: never "any".
    assert re.fullmatch(rf"stasis-{re.escape(_header_version())}-py3-none-manylinux_\d+_\d+_x86_64\.whl", name), name
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    assert "stasis/libstasis.so" in names and "stasis/__init__.py" in names
    assert "Root-Is-Purelib: false" in metadata
    bundled = [n for n in names if n.startswith("stasis.libs/")]
    for library in BUNDLED:
        assert any(os.path.basename(n).startswith(library) for n in bundled), (library, bundled)
    assert not any("swift" in n.lower() for n in names), names  # the Swift runtime is linked in statically


def test_installed_wheel_runs_the_quick_start_outside_the_checkout(venv, tmp_path):
    root, python = venv
    script = tmp_path / "quickstart.py"
    shutil.copy(os.path.join(REPO, "examples", "python", "quickstart.py"), script)
    output = _run(_isolated([python, str(script)]), cwd=tmp_path, env=_bare_env(tmp_path))
    assert f"libstasis {_header_version()}" in output
    assert "query 0 -> id 100000 (score 1.000)" in output  # a gallery vector finds itself
    assert "'count': 10000" in output and "wrong dimension refused" in output


def test_installed_wheel_loads_only_what_it_carries(venv, tmp_path):
    """stasis.library_path is the venv's copy, and the process maps OpenBLAS and the GCC runtimes
    from the wheel's stasis.libs, nothing from the checkout or /opt/swift."""
    root, python = venv
    probe = (
        "import os, numpy as np, stasis\n"
        "with stasis.Index(8, 'Flat') as index:\n"
        "    index.add(np.eye(8, dtype=np.float32), np.arange(8), version=1)\n"
        "    assert index.search(np.eye(8, dtype=np.float32), 1)[1][:, 0].tolist() == list(range(8))\n"
        f"print('checkout files', len(os.listdir({REPO!r})))\n"
        "print('library', stasis.library_path)\n"
        "print('package', stasis.__file__)\n"
        "for line in open('/proc/self/maps'):\n"
        "    if '/' in line: print('mapped', line.split(None, 5)[5].strip())\n"
    )
    output = _run(_isolated([python, "-c", probe]), cwd=tmp_path, env=_bare_env(tmp_path))
    real_root = os.path.realpath(root)
    lines = output.splitlines()
    library = next(line.split(" ", 1)[1] for line in lines if line.startswith("library "))
    package = next(line.split(" ", 1)[1] for line in lines if line.startswith("package "))
    assert os.path.realpath(library).startswith(real_root + os.sep), library
    assert os.path.basename(library) == "libstasis.so"
    assert os.path.realpath(package).startswith(real_root + os.sep), package
    if _isolated(["true"]) != ["true"]:  # the namespace really hid the checkout
        assert "checkout files 0" in lines, lines[:3]
    mapped = {line.split(" ", 1)[1] for line in lines if line.startswith("mapped ")}
    assert os.path.realpath(library) in {os.path.realpath(m) for m in mapped}
    for path in mapped:
        assert not path.startswith("/opt/swift") and not path.startswith(REPO + os.sep), path
    for library_name in BUNDLED:
        ours = [m for m in mapped if os.path.basename(m).startswith(library_name) and "stasis.libs" in m]
        system = [m for m in mapped if os.path.basename(m).startswith(library_name) and not m.startswith(real_root)]
        assert ours and not system, (library_name, ours, system)
