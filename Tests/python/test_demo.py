"""The shortened `stasis demo` (what the README's first command runs in full): its outputs must
agree with each other and with the same computation done directly through the Python API, on the
built-in corpus. Nothing here is a typed-in number: every expectation is recomputed."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import stasis

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CLI = os.environ.get("STASIS_CLI", os.path.join(ROOT, "build", "bin", "stasis"))
DATA = os.path.join(ROOT, "examples", "data", "wordnet")
PER_CLASS = 30  # what --quick keeps
V1_CLASSES, V2_CLASSES = 60, 60
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run([CLI, "demo", "--quick", "--json", "--threads", "2", "--output", str(out), "--data", DATA],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    with open(out / "demo.json", encoding="utf-8") as f:
        assert json.load(f) == summary, "--json output and demo.json differ"
    return out, summary


@pytest.fixture(scope="module")
def corpus():
    """The documented split rebuilt from the files (DemoData's rule)."""
    with open(os.path.join(DATA, "texts.txt"), encoding="utf-8") as f:
        texts = f.read().split("\n")[:-1]
    labels = np.load(os.path.join(DATA, "labels.npy")).astype(np.int64)
    old = np.load(os.path.join(DATA, "wordllama.npy")).astype(np.float32)
    new = np.load(os.path.join(DATA, "minilm.npy")).astype(np.float32)
    seen = np.zeros(labels.max() + 1, np.int64)
    queries, gallery = [], []
    for row, label in enumerate(labels):
        p = seen[label]
        seen[label] += 1
        if p >= PER_CLASS:
            continue
        (queries if p % 5 == 0 else gallery).append(row)
    return dict(texts=texts, labels=labels, old=old, new=new, queries=np.array(queries), gallery=np.array(gallery))


def test_data_is_the_committed_subset(corpus):
    manifest = dict(line.split(" ", 1) for line in open(os.path.join(DATA, "MANIFEST.txt"), encoding="utf-8").read().splitlines())
    n = int(manifest["items"])
    assert len(corpus["texts"]) == n == corpus["labels"].shape[0] == corpus["old"].shape[0] == corpus["new"].shape[0]
    assert corpus["old"].shape[1] == 256 and corpus["new"].shape[1] == 384
    assert np.load(os.path.join(DATA, "minilm.npy")).dtype == np.float16
    norms = np.linalg.norm(corpus["new"], axis=1)
    assert np.all(np.abs(norms - 1) < 1e-2), "MiniLM features are stored L2-normalised"
    size = sum(os.path.getsize(os.path.join(DATA, f)) for f in os.listdir(DATA))
    assert size <= 30 * 1024 * 1024, f"built-in data is {size} bytes; the budget is 30 MB"


def test_split_and_counts_match_the_documented_rule(demo, corpus):
    _, s = demo
    d = s["data"]
    assert d["queries"] == len(corpus["queries"]) and d["gallery"] == len(corpus["gallery"])
    assert d["perClass"] == PER_CLASS and d["v1Classes"] == V1_CLASSES and d["v2Classes"] == V2_CLASSES
    gallery_labels = corpus["labels"][corpus["gallery"]]
    assert s["upgrade"]["v1TrainRows"] == int(np.sum(gallery_labels < V1_CLASSES))
    assert s["upgrade"]["v2TrainRows"] == int(np.sum(gallery_labels < V1_CLASSES + V2_CLASSES))


def _cells(q_old, q_new, g_old, g_new, ql, gl):
    top = lambda q, g: stasis.retrieval_metrics(q, ql, g, gl).top1  # noqa: E731
    return top(q_old, g_old), top(q_new, g_old), top(q_new, g_new)


def test_upgrade_matrix_matches_a_direct_computation(demo, corpus):
    out, s = demo
    v1 = stasis.Encoder.open(str(out / "encoder-v1.safetensors"))
    v2 = stasis.Encoder.open(str(out / "encoder-v2.safetensors"))
    q, g, labels = corpus["queries"], corpus["gallery"], corpus["labels"]
    q1, q2 = v1.encode(corpus["old"][q]), v2.encode(corpus["new"][q])
    g1, g2 = v1.encode(corpus["old"][g]), v2.encode(corpus["new"][g])
    expected = _cells(q1, q2, g1, g2, labels[q], labels[g])
    top1 = s["upgrade"]["top1"]
    assert (top1["oldOld"], top1["newOld"], top1["newNew"]) == pytest.approx(expected, abs=1e-12)
    assert top1["ecc"] == (top1["newOld"] > top1["oldOld"])
    assert s["upgrade"]["gatePassed"] == top1["ecc"]  # the gate serves v2 on the v1 gallery, no margin

    report = stasis.Report.open(str(out / "upgrade-report.json"))
    assert report.matrix[1][0] == pytest.approx(top1["newOld"], abs=1e-12)

    roles = {"both": labels[q] < V1_CLASSES,
             "v2Only": (labels[q] >= V1_CLASSES) & (labels[q] < V1_CLASSES + V2_CLASSES),
             "unseen": labels[q] >= V1_CLASSES + V2_CLASSES}
    for role, mask in roles.items():
        cells = s["upgrade"]["byRole"][role]
        got = _cells(q1[mask], q2[mask], g1, g2, labels[q][mask], labels[g])
        assert (cells["oldOld"], cells["newOld"], cells["newNew"]) == pytest.approx(got, abs=1e-12), role
    # The overall top-1 is the query-weighted mean of the groups.
    weights = np.array([m.sum() for m in roles.values()]) / len(q)
    mixed = sum(w * s["upgrade"]["byRole"][r]["newOld"] for w, r in zip(weights, roles))
    assert mixed == pytest.approx(top1["newOld"], abs=1e-12)


def test_v2_queries_are_served_by_the_saved_v1_index(demo, corpus):
    out, s = demo
    index = stasis.Index.open(str(out / "gallery-v1.index"))
    assert len(index) == len(corpus["gallery"])
    v2 = stasis.Encoder.open(str(out / "encoder-v2.safetensors"))
    q = corpus["queries"]
    ids = index.search(v2.encode(corpus["new"][q]), 1).ids[:, 0]
    served = float(np.mean(corpus["labels"][ids] == corpus["labels"][q]))
    assert served == pytest.approx(s["upgrade"]["servedTop1"], abs=1e-12)
    # Exact search over the same vectors: the index agrees with the evaluator up to ties.
    assert abs(served - s["upgrade"]["top1"]["newOld"]) <= 2 / len(q)


def test_legacy_stage_matches_a_direct_computation(demo, corpus):
    out, s = demo
    legacy = s["legacy"]
    adapter = stasis.Adapter.open(str(out / "adapter-v2-to-v1.safetensors"))
    q = corpus["queries"][1::2]  # every other query is measured; the rest calibrate
    g = corpus["gallery"]
    assert legacy["queries"] == len(q) and legacy["calibrationQueries"] == len(corpus["queries"][0::2])
    labels, old, new = corpus["labels"], corpus["old"], corpus["new"]
    expected = (
        stasis.retrieval_metrics(old[q], labels[q], old[g], labels[g]).top1,
        stasis.retrieval_metrics(adapter.apply(new[q]), labels[q], old[g], labels[g]).top1,
        stasis.retrieval_metrics(new[q], labels[q], new[g], labels[g]).top1,
    )
    top1 = legacy["top1"]
    assert (top1["oldOld"], top1["newOld"], top1["newNew"]) == pytest.approx(expected, abs=1e-12)
    names = [p["name"] for p in legacy["policies"]]
    assert names == ["random", "predicted-error", "neighbourhood", "hubs"]
    for p in legacy["policies"]:
        assert p["fractions"][0] == 0 and p["fractions"][-1] == 1 and len(p["fractions"]) == 5
        # Before any re-encoding every order searches the same gallery; after all of it, too.
        assert p["values"][0] == pytest.approx(legacy["servedTop1"], abs=1e-12)
        assert abs(p["values"][-1] - top1["newNew"]) <= 2 / len(q)
        trapezoid = float(np.sum(np.diff(p["fractions"]) * (np.array(p["values"][1:]) + p["values"][:-1]) / 2))
        assert p["auc"] == pytest.approx(trapezoid, abs=1e-12)
    best = max((p for p in legacy["policies"] if p["name"] != "random"), key=lambda p: p["auc"])
    random_auc = next(p["auc"] for p in legacy["policies"] if p["name"] == "random")
    assert legacy["bestPolicy"] == best["name"]
    assert legacy["gainOverRandom"] == pytest.approx(best["auc"] - random_auc, abs=1e-12)


def test_examples_are_real_queries_with_consistent_hits(demo, corpus):
    _, s = demo
    assert len(s["examples"]) == 3
    labels, texts = corpus["labels"], corpus["texts"]
    for example in s["examples"]:
        row = example["queryId"]
        assert example["text"] == texts[row] and row in set(corpus["queries"].tolist())
        for hit in example["before"] + example["after"]:
            assert hit["text"] == texts[hit["id"]]
            assert hit["sameClass"] == (labels[hit["id"]] == labels[row])
            assert hit["id"] in set(corpus["gallery"].tolist())


def test_page_shows_the_summary_numbers(demo):
    out, s = demo
    page = (out / "demo.html").read_text(encoding="utf-8")
    top1 = s["upgrade"]["top1"]
    for value in (top1["oldOld"], top1["newOld"], top1["newNew"], s["legacy"]["top1"]["newOld"]):
        assert f"{100 * value:.1f}%" in page
    assert ("PASS" if s["upgrade"]["gatePassed"] else "FAIL") in page
    for name in ("upgrade-report.html", "demo.json"):
        assert name in page and (out / name).exists()


def test_bad_inputs_fail_with_a_message(tmp_path):
    missing = subprocess.run([CLI, "demo", "--quick", "--data", str(tmp_path), "--output", str(tmp_path / "o")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "texts.txt" in missing.stderr
    os.makedirs(tmp_path / "d")
    for name in ("texts.txt", "classes.txt", "labels.npy", "wordllama.npy", "minilm.npy"):
        shutil.copy(os.path.join(DATA, name), tmp_path / "d" / name)
    np.save(tmp_path / "d" / "labels.npy", np.load(os.path.join(DATA, "labels.npy"))[:-5])
    short = subprocess.run([CLI, "demo", "--quick", "--data", str(tmp_path / "d"), "--output", str(tmp_path / "o")],
                           capture_output=True, text=True, timeout=120)
    assert short.returncode == 1 and "disagree" in short.stderr
    zero = subprocess.run([CLI, "demo", "--epochs", "0", "--output", str(tmp_path / "o")], capture_output=True, text=True)
    assert zero.returncode == 1 and "--epochs" in zero.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_demo_page_renders_in_headless_chromium(demo, tmp_path):
    from test_report_render import near, read_png

    out, s = demo
    shot = tmp_path / "demo.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1600",
                    f"--screenshot={shot}", (out / "demo.html").as_uri()], check=True, capture_output=True, timeout=180)
    image = read_png(shot)
    assert image.shape[:2] == (1600, 1280)
    assert len(np.unique(image.reshape(-1, 3)[::7], axis=0)) > 50, "blank-looking screenshot"
    badge = (22, 163, 74) if s["upgrade"]["gatePassed"] else (220, 38, 38)
    assert near(image, badge, 20) > 1500, "no verdict badge in the gate's colour"
    assert near(image, (37, 99, 235), 30) > 300, "no blue curve or card accents"
