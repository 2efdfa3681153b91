"""The tutorial programs (docs/tutorials/): the Python and C versions of each story run on the same
slice of the built-in corpus, exit 0, and print the same numbers.

They print identical text (the "saved:" line aside), not numbers within a tolerance: both call the
same library with the same float32 inputs (the C example widens float16 exactly, like numpy), the
same seeds and the same thread count, and training is bit-reproducible for a fixed thread count.
The printed numbers are also checked against each other where two routes must agree."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "examples", "data", "wordnet")
LIB = os.path.join(ROOT, "build", "lib")
CC = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
STORIES = ("stationary", "legacy")


def _compile(story, work):
    binary = os.path.join(work, f"tutorial_{story}")
    subprocess.run([CC, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I", os.path.join(ROOT, "include"),
                    os.path.join(ROOT, "examples", "c", f"tutorial_{story}.c"), "-L", LIB, f"-Wl,-rpath,{LIB}",
                    "-lstasis", "-o", binary], check=True, capture_output=True, text=True)
    return binary


def _run(command, out):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    run = subprocess.run(command + [DATA, out], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert run.returncode == 0, f"{command} exited {run.returncode}:\n{run.stderr}"
    return [line for line in run.stdout.splitlines() if not line.startswith("saved:")]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    if CC is None:
        pytest.skip("no C compiler")
    work = str(tmp_path_factory.mktemp("tutorials"))
    result = {}
    for story in STORIES:
        result[story, "c"] = _run([_compile(story, work)], os.path.join(work, f"c-{story}"))
        result[story, "python"] = _run([sys.executable, os.path.join(ROOT, "examples", "python", f"tutorial_{story}.py")],
                                       os.path.join(work, f"py-{story}"))
    result["work"] = work
    return result


def _numbers(lines, prefix):
    """The numbers of the first line starting with `prefix` (not the digits of "v1" or "top-1")."""
    line = next(line for line in lines if line.startswith(prefix))
    return [float(x) for x in re.findall(r"(?<![\w.\-])\d+(?:\.\d+)?", line[len(prefix):])]


@pytest.mark.parametrize("story", STORIES)
def test_python_and_c_print_the_same_numbers(outputs, story):
    python, c = outputs[story, "python"], outputs[story, "c"]
    assert len(python) >= 10, python
    assert python == c, "\n".join(f"py: {p}\nc:  {q}" for p, q in zip(python, c) if p != q)


def test_stationary_numbers_agree_with_each_other(outputs):
    lines = outputs["stationary", "python"]
    gallery, queries = _numbers(lines, "corpus:")[1:3]
    tie = 100 * 2 / queries  # exact search and the evaluator agree up to ties
    served = _numbers(lines, "served:")[-1]
    old_old, new_old, new_new = _numbers(lines, "matrix top-1 (%):")[-3:]
    assert abs(served - new_old) <= tie
    groups = [_numbers(lines, f"  {name}") for name in ("known at v1", "added at v2", "never trained")]
    for cells, line in zip(groups, [x for x in lines if x.startswith("  ")]):
        assert ("ECC holds" in line) == (cells[-2] > cells[-3]), line
    # Each query class group has the same number of queries here (6 per class, 60 classes each).
    assert np.mean([g[-2] for g in groups]) == pytest.approx(new_old, abs=0.011)  # rounding of the printed values
    gate = next(line for line in lines if line.startswith("gate"))
    assert gate.endswith("PASS" if new_old > old_old else "FAIL")
    steps = [_numbers(lines, f"backfill {p}%:") for p in (25, 50, 75, 100)]
    assert [s[0] for s in steps] == [gallery * (4 - i) / 4 for i in range(1, 5)]  # v1 items left
    assert abs(steps[-1][-1] - new_new) <= tie  # fully re-encoded: the new->new cell


def test_legacy_numbers_agree_with_each_other(outputs):
    lines = outputs["legacy", "python"]
    gallery, queries = _numbers(lines, "corpus:")[:2]
    tie = 100 * 2 / queries
    old_old, new_old, new_new = _numbers(lines, "top-1 (%):")[-3:]
    served = _numbers(lines, "served at once:")[-1]
    assert abs(served - new_old) <= tie  # one part only: the adapter's cosine ranking
    for policy in ("random", "predicted-error", "neighbourhood"):
        assert _numbers(lines, f"plan {policy}:")[0] == gallery
        curve = _numbers(lines, f"curve {policy} ")
        values, auc = curve[:-1], curve[-1]
        assert abs(values[0] - served) <= tie and abs(values[-1] - new_new) <= tie
        area = sum((a + b) / 2 for a, b in zip(values, values[1:])) / (len(values) - 1)
        assert auc == pytest.approx(area, abs=0.011)
    restarted = _numbers(lines, "after 3 batches (restarted):")
    assert restarted[0] == 1500 and restarted[0] + restarted[1] == gallery  # 3 batches of 500 done
    complete = _numbers(lines, "backfill complete after")
    assert complete[1:5] == [gallery, 0, 0, gallery] and abs(complete[-1] - new_new) <= tie


def test_the_c_reader_refuses_bad_npy_files_with_a_message(outputs, tmp_path):
    binary = os.path.join(outputs["work"], "tutorial_legacy")
    for name in ("labels.npy", "wordllama.npy", "minilm.npy"):
        os.symlink(os.path.join(DATA, name), tmp_path / name)
    cases = {
        "labels.npy": (np.arange(4, dtype=">i4"), "dtype '>i4' is not supported"),
        "wordllama.npy": (np.zeros((2, 3, 4), np.float16), "more than 2 dimensions"),
        "minilm.npy": (np.asfortranarray(np.zeros((3, 4), np.float32)), "Fortran-order"),
    }
    for name, (array, message) in cases.items():
        target = tmp_path / name
        target.unlink()
        np.save(target, array)
        run = subprocess.run([binary, str(tmp_path), str(tmp_path / "out")], capture_output=True, text=True)
        assert run.returncode == 1 and message in run.stderr, (name, run.stderr)
        target.unlink()
        os.symlink(os.path.join(DATA, name), target)
    with open(os.path.join(DATA, "wordllama.npy"), "rb") as f:
        head = f.read(4096)
    (tmp_path / "wordllama.npy").unlink()
    (tmp_path / "wordllama.npy").write_bytes(head)  # truncated
    run = subprocess.run([binary, str(tmp_path), str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 1 and "its header promises" in run.stderr, run.stderr
