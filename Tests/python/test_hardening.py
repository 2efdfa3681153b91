"""Inputs that once killed the host process: factory strings, crafted index payloads, saves over
non-regular files. Work that might crash runs in a child process (hardening_child.py), so a
regression fails the test instead of killing pytest.

STASIS_FUZZ_EDITS sets the number of payload edits per index type (default 100; the opt-in run,
scripts/soak.sh, uses thousands).
"""
import json
import os
import random
import stat
import struct
import subprocess
import sys

import numpy as np
import pytest

import stasis
from container_checksums import checksum

CHILD = os.path.join(os.path.dirname(__file__), "hardening_child.py")
DIM = 32

# (factory, expected): "ok" = a working index through save and reopen; otherwise the first step
# that must refuse it with InvalidArgumentError.
FACTORIES = [
    ("Flat", "ok"),
    ("HNSW", "ok"), ("HNSW2", "ok"), ("HNSW16,Flat", "ok"), ("HNSW256", "ok"),
    ("HNSW16,SQ8", "ok"), ("HNSW16,SQ4", "ok"), ("HNSW16,SQfp16", "ok"),
    ("HNSW0", "create"), ("HNSW1", "create"), ("HNSW257", "create"), ("HNSW32,PQ8", "create"),
    ("HNSW32_Flat", "create"), ("HNSW-1", "create"),
    ("IVF1,Flat", "ok"), ("IVF16,Flat", "ok"), ("IVF16,SQ8", "ok"), ("IVF16,SQ4", "ok"),
    ("IVF16,SQ6", "ok"), ("IVF16,SQfp16", "ok"),
    ("IVF16,PQ1", "ok"), ("IVF16,PQ32np", "ok"), ("IVF16,PQ8x1", "ok"), ("IVF16,PQ8x8np", "ok"),
    ("IVF16,PQ8np", "ok"), ("IVF16,PQ8x4", "ok"),
    ("IVF0,Flat", "create"), ("IVF0,SQ8", "create"), ("IVF0,PQ8", "create"),
    ("IVF16,PQ0", "create"), ("IVF16,PQ7", "create"), ("IVF16,PQ33", "create"),
    ("IVF16,PQ8x0", "create"), ("IVF16,PQ8x9", "create"), ("IVF16,PQ8x", "create"),
    ("IVF1000000000,Flat", "create"), ("IVF1048577,Flat", "create"),
    ("IVF99999999999999999999,Flat", "create"), ("IVF-1,Flat", "create"), ("IVF16", "create"),
    ("IVF16,Flat,Flat", "create"), ("IVF16,LSH", "create"), ("PQ8", "create"), ("SQ8", "create"),
    ("", "create"), ("  ", "create"), ("Flat,IDMap", "create"), ("PCA16,Flat", "create"),
]


def run_child(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, CHILD, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.parametrize("factory,expected", FACTORIES)
def test_factory_strings_never_kill_the_process(factory, expected):
    done = run_child("factory", factory, str(DIM))
    assert done.returncode == 0, f"{factory!r} killed the child ({done.returncode}): {done.stderr[-500:]}"
    line = done.stdout.strip().splitlines()[-1]
    if expected == "ok":
        assert line == "ok", f"{factory!r}: {line}"
    else:
        assert line.startswith(f"error {expected} InvalidArgumentError"), f"{factory!r}: {line}"


def test_large_list_count_is_a_training_error_not_an_allocation():
    done = run_child("factory", "IVF1048576,Flat", str(DIM))
    assert done.returncode == 0
    assert done.stdout.startswith("error train InvalidArgumentError"), done.stdout


def test_factory_is_recorded_canonically():
    assert stasis.Index(DIM, " HNSW ").factory == "HNSW32"
    assert stasis.Index(DIM, "IVF4,PQ8x8").factory == "IVF4,PQ8"


def test_index_dimension_limit_is_stated_once():
    for dim in (1 << 16 | 1, 1 << 20, 1 << 21):
        with pytest.raises(stasis.InvalidArgumentError, match=r"dimension must be in 1\.\.\.65536"):
            stasis.Index(dim, "Flat")


# ---------------------------------------------------------------------------------------------
# Crafted payloads: edit bytes of the Faiss payload, recompute both checksums, open and search.

class Container:
    """The index file split as docs/formats.md describes it."""

    def __init__(self, raw):
        assert raw[:8] == b"STASISIX"
        self.format, self.header_length = struct.unpack_from("<IQ", raw, 8)
        self.prefix = bytearray(raw[:28])
        self.header = json.loads(raw[28:28 + self.header_length])
        self.body = bytearray(raw[28 + self.header_length:])
        self.payload_start = len(self.body) - self.header["payloadBytes"]

    def with_payload_edits(self, edits):
        body = bytearray(self.body)
        for offset, value in edits:
            body[self.payload_start + offset:self.payload_start + offset + len(value)] = value
        header = dict(self.header, checksum=checksum(self.format, body)[1])
        text = json.dumps(header, separators=(",", ":")).encode()
        prefix = bytearray(self.prefix)
        struct.pack_into("<Q", prefix, 12, len(text))
        struct.pack_into("<Q", prefix, 20, checksum(self.format, text)[0])
        return bytes(prefix) + text + bytes(body)


def saved_index(factory, path, n=300):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    index = stasis.Index(DIM, factory)
    if not index.is_trained:
        index.train(np.concatenate([x, rng.standard_normal((1000, DIM)).astype(np.float32)]))
    index.add(x, np.arange(n), version=1)
    index.remove([3, 4])
    index.save(path)
    return path


def interesting_edit(rng, payload_length, ntotal):
    """A random byte, or a value a reader trusts (a count, an id at or past the end, -1...)."""
    if rng.random() < 0.4:
        return rng.randrange(payload_length), bytes([rng.randrange(256)])
    width = rng.choice([4, 8])
    value = rng.choice([0, 1, -1, 2, ntotal - 1, ntotal, ntotal + 1, 2**31 - 1, -2**31, 2**40, 255,
                        rng.randrange(-2**31, 2**31)])
    offset = rng.randrange(0, max(1, payload_length - width)) // 4 * 4
    fmt = "<i" if width == 4 else "<q"
    if width == 4 and not -2**31 <= value < 2**31:
        value = -1
    return offset, struct.pack(fmt, value)


FUZZ_FACTORIES = ["HNSW8", "IVF8,Flat", "IVF8,SQ8", "IVF8,PQ4np", "HNSW8,SQ8", "Flat"]


def test_container_helper_recomputes_valid_checksums(tmp_path):
    raw = open(saved_index("HNSW8", str(tmp_path / "a.stasis")), "rb").read()
    (tmp_path / "b.stasis").write_bytes(Container(raw).with_payload_edits([]))
    assert stasis.Index.open(str(tmp_path / "b.stasis")).ntotal == 298


@pytest.mark.parametrize("factory", FUZZ_FACTORIES)
def test_crafted_payloads_never_kill_the_process(factory, tmp_path):
    edits = int(os.environ.get("STASIS_FUZZ_EDITS", "100"))
    original = open(saved_index(factory, str(tmp_path / "original.stasis")), "rb").read()
    container = Container(original)
    payload_length = container.header["payloadBytes"]
    rng = random.Random(f"{factory}-{edits}")
    paths = []
    for trial in range(edits):
        changes = [interesting_edit(rng, payload_length, container.header["slots"])
                   for _ in range(rng.choice([1, 1, 2, 3]))]
        path = tmp_path / f"edit{trial}.stasis"
        path.write_bytes(container.with_payload_edits(changes))
        paths.append(str(path))
    outcomes = {}
    remaining = paths
    while remaining:  # a crash names its file; record it and carry on with the rest
        done = run_child("open", *remaining, timeout=900)
        tried = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("try ")]
        results = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("done ")]
        outcomes.update(zip(tried, results))
        if done.returncode == 0:
            break
        crashed = tried[-1] if len(tried) > len(results) else None
        outcomes[crashed] = f"CRASH {done.returncode}: {done.stderr[-300:]}"
        remaining = remaining[remaining.index(crashed) + 1:] if crashed in remaining else []
    crashes = {p: o for p, o in outcomes.items() if o.startswith("CRASH")}
    assert not crashes, f"{len(crashes)} of {edits} crafted {factory} files crashed: {list(crashes.items())[:3]}"
    assert len(outcomes) == edits
    kinds = {outcome.split(":")[0] for outcome in outcomes.values()}
    unexpected = [o for o in outcomes.values() if o.split(":")[0] not in ("opened", "CorruptFileError")]
    assert not unexpected, unexpected[:3]
    if factory != "Flat":  # a flat payload is nearly all vector data: edits rarely hit structure
        assert "CorruptFileError" in kinds  # the edits do reach the checks


# ---------------------------------------------------------------------------------------------
# Saves over things that are not regular files.

@pytest.fixture
def small_index():
    index = stasis.Index(DIM, "Flat")
    index.add(np.ones((2, DIM), np.float32), [1, 2], version=1)
    return index


def test_save_refuses_a_directory(small_index, tmp_path):
    target = tmp_path / "dir"
    target.mkdir()
    with pytest.raises(stasis.StasisIOError, match="not a regular file"):
        small_index.save(str(target))
    assert target.is_dir() and not any(target.iterdir())
    assert sorted(os.listdir(tmp_path)) == ["dir"]  # no temporary file left behind


def test_save_refuses_a_fifo(small_index, tmp_path):
    target = tmp_path / "pipe"
    os.mkfifo(target)
    with pytest.raises(stasis.StasisIOError, match="not a regular file"):
        small_index.save(str(target))
    assert stat.S_ISFIFO(os.stat(target).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


def test_save_refuses_a_device(small_index):
    with pytest.raises(stasis.StasisIOError, match="not a regular file"):
        small_index.save("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_save_through_a_symlink_replaces_its_target(small_index, tmp_path):
    target = tmp_path / "real.stasis"
    target.write_bytes(b"old")
    link = tmp_path / "link.stasis"
    link.symlink_to(target)
    small_index.save(str(link))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stasis.Index.open(str(target)).ntotal == 2


def test_save_through_a_dangling_symlink_is_refused(small_index, tmp_path):
    link = tmp_path / "dangling.stasis"
    link.symlink_to(tmp_path / "missing" / "x.stasis")
    with pytest.raises(stasis.StasisError, match="symbolic link"):
        small_index.save(str(link))
    assert link.is_symlink()
