#!/usr/bin/env bash
# Tests of the stasis command: version, inspect (text and JSON), and clean failures.
set -euo pipefail
cli="${1:?usage: test_cli.sh STASIS_BINARY SCRATCH_DIR}"
work="${2:?usage: test_cli.sh STASIS_BINARY SCRATCH_DIR}"
failures=0
expect() { # expect DESCRIPTION COMMAND... : command must succeed
    local description=$1; shift
    if ! "$@"; then echo "FAIL: $description"; failures=$((failures + 1)); fi
}

fails() { # fails DESCRIPTION NEEDLE ARGS... : `stasis ARGS` exits 1 with NEEDLE in its message
    local description=$1 needle=$2; shift 2
    set +e
    err=$("$cli" "$@" 2>&1); code=$?
    set -e
    expect "$description exits 1" test "$code" = 1
    expect "$description is named" grep -q -- "$needle" <<<"$err"
}

"$cli" version | grep -q "^stasis 0.1.0 (ABI 1)$"; expect "version" test $? = 0

python3 - "$work/cli.stasis" <<'PY'
import sys, numpy as np, stasis
index = stasis.Index(16, "HNSW8")
index.add(np.random.default_rng(0).standard_normal((50, 16)), np.arange(50), version=3)
index.add(np.random.default_rng(1).standard_normal((20, 16)), np.arange(100, 120), version=4)
index.remove([0])
index.save(sys.argv[1])
PY
text=$("$cli" inspect "$work/cli.stasis")
expect "inspect shows the factory" grep -q "factory     HNSW8" <<<"$text"
expect "inspect shows live and removed counts" grep -q "vectors     69 live, 1 removed" <<<"$text"
expect "inspect lists version 3" grep -qE "^version 3 +49 vectors" <<<"$text"
expect "inspect lists version 4" grep -qE "^version 4 +20 vectors" <<<"$text"
json=$("$cli" inspect --json "$work/cli.stasis")
expect "inspect --json is the header" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['count']==69 and d['dimension']==16" "$json"

set +e
err=$("$cli" inspect "$work/missing.stasis" 2>&1); code=$?
set -e
expect "missing file exits 1" test "$code" = 1
expect "missing file names the path" grep -q "cannot open '$work/missing.stasis'" <<<"$err"
printf 'garbage' > "$work/garbage.stasis"
set +e
err=$("$cli" inspect "$work/garbage.stasis" 2>&1); code=$?
set -e
expect "garbage exits 1" test "$code" = 1
expect "garbage is named" grep -q "not a Stasis file" <<<"$err"

# Spaces and encoders.
out=$("$cli" space create --kind simplex --classes 17 "$work/s17.safetensors")
expect "space create reports the dimension" grep -q "K = 17, d = 16" <<<"$out"
text=$("$cli" inspect "$work/s17.safetensors")
expect "inspect describes a space" grep -qE "^kind +simplex" <<<"$text"
expect "inspect lists the vertex tensor" grep -q "vertices \[17, 16\]" <<<"$text"
set +e
err=$("$cli" space create --kind prism --classes 4 "$work/bad.safetensors" 2>&1); code=$?
set -e
expect "unknown space kind exits 1" test "$code" = 1
expect "unknown space kind is named" grep -q "unknown space kind 'prism'" <<<"$err"
set +e
err=$("$cli" space create --classes -5 "$work/neg.safetensors" 2>&1); code=$?
set -e
expect "negative class count exits 1" test "$code" = 1
expect "negative class count is named" grep -q "at least 2" <<<"$err"
expect "negative class count writes nothing" test ! -e "$work/neg.safetensors"

python3 - "$work" <<'PY'
import json, sys, numpy as np, stasis
from safetensors.numpy import save_file
work = sys.argv[1]
space = stasis.Space.open(f"{work}/s17.safetensors")
rng = np.random.default_rng(0)
save_file({"layers.0.weight": rng.standard_normal((16, 8)).astype(np.float32)}, f"{work}/enc.safetensors", metadata={
    "stasis.kind": "encoder", "stasis.format": "1", "stasis.space": space.fingerprint, "stasis.version": "2",
    "stasis.input_dim": "8", "stasis.output_dim": "16", "stasis.layers": json.dumps([{"type": "linear"}])})
np.save(f"{work}/features.npy", rng.standard_normal((30, 8)).astype(np.float16))
np.save(f"{work}/wrong.npy", rng.standard_normal((30, 5)))
PY
out=$("$cli" encode --encoder "$work/enc.safetensors" "$work/features.npy" "$work/vectors.npy")
expect "encode reports the shape" grep -q "30 x 16, model version 2" <<<"$out"
expect "encode output matches the library" python3 -c "
import sys, numpy as np, stasis
w = sys.argv[1]
got = np.load(w + '/vectors.npy')
want = stasis.Encoder.open(w + '/enc.safetensors').encode(np.load(w + '/features.npy').astype(np.float32))
assert got.dtype == np.float32 and np.abs(got - want).max() < 1e-6" "$work"
text=$("$cli" inspect "$work/enc.safetensors")
expect "inspect describes an encoder" grep -qE "^version +2" <<<"$text"
set +e
err=$("$cli" encode --encoder "$work/enc.safetensors" "$work/wrong.npy" "$work/out.npy" 2>&1); code=$?
set -e
expect "wrong feature width exits 1" test "$code" = 1
expect "wrong feature width is named" grep -q "has 5 columns" <<<"$err"

# ---- stasis evaluate and stasis gate (exit codes: 0 pass, 1 fail, 2 bad input) ----
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(0)
centres = rng.standard_normal((6, 16))
labels = rng.integers(0, 6, 200)
base = centres[labels] + rng.standard_normal((200, 16))
for v in range(3):  # each version noisier: v3 loses to v1's baseline on v1's gallery
    np.save(f"{work}/ev_q{v + 1}.npy", (base + 0.4 * v * rng.standard_normal(base.shape)).astype(np.float32))
np.save(f"{work}/ev_labels.npy", labels)
np.save(f"{work}/ev_short.npy", labels[:50])
bad = np.load(f"{work}/ev_q1.npy"); bad[3, 2] = np.nan
np.save(f"{work}/ev_nan.npy", bad)
PY
ev=(--queries "$work/ev_q1.npy" --queries "$work/ev_q2.npy" --queries "$work/ev_q3.npy" --query-labels "$work/ev_labels.npy")
out=$("$cli" evaluate "${ev[@]}" --json "$work/ev.json" --html "$work/ev.html")
expect "evaluate summarises the matrix" grep -q "3 versions, metric top1: AC" <<<"$out"
expect "evaluate writes the JSON report" python3 -c "
import json, sys; r = json.load(open(sys.argv[1])); assert r['format'] == 'stasis.evaluation' and len(r['matrix']) == 3" "$work/ev.json"
expect "evaluate writes the HTML report" grep -q "<svg" "$work/ev.html"
expect "the CLI report equals the Python one" python3 -c "
import json, sys, numpy as np, stasis
w = sys.argv[1]; y = np.load(w + '/ev_labels.npy')
r = stasis.evaluate([np.load(f'{w}/ev_q{v}.npy') for v in (1, 2, 3)], y)
assert np.array_equal(r.matrix, np.array(json.load(open(w + '/ev.json'))['matrix'], dtype=float), equal_nan=True)" "$work"
gate() { set +e; "$cli" gate "$@" >"$work/gate.out" 2>"$work/gate.err"; code=$?; set -e; }
gate --report "$work/ev.json" --serve 3 --galleries 1,2
expect "a failing gate exits 1" test "$code" = 1
expect "a failing gate names the cell" grep -q "gate failed: v3/v1" "$work/gate.out"
gate --report "$work/ev.json" --serve 3 --galleries 1,2 --margin -1 --json "$work/verdict.json"
expect "a passing gate exits 0" test "$code" = 0
expect "the verdict JSON says passed" grep -q '"passed":true' "$work/verdict.json"
gate "${ev[@]}" --serve 2 --galleries 1 --margin -1
expect "gate straight from the inputs exits 0" test "$code" = 0
gate --report "$work/ev.json" --serve 1 --galleries 3
expect "a gallery newer than the serving version exits 2" test "$code" = 2
expect "and says why" grep -q "newer version 3" "$work/gate.err"
gate --report "$work/ev.json" --serve 9
expect "an unknown version exits 2" test "$code" = 2
gate --report "$work/ev.html"
expect "a file that is not a report exits 2" test "$code" = 2
gate --report "$work/ev.json" --margin nan
expect "a NaN margin exits 2" test "$code" = 2
gate --report "$work/ev.json" --frobnicate
expect "an unknown option exits 2" test "$code" = 2
gate --queries "$work/ev_q1.npy" --query-labels "$work/ev_short.npy"
expect "mismatched lengths exit 2" test "$code" = 2
expect "mismatched lengths are named" grep -q "has 200 rows but .* has 50 labels" "$work/gate.err"
gate --queries "$work/ev_nan.npy" --queries "$work/ev_q2.npy" --query-labels "$work/ev_labels.npy"
expect "NaN input exits 2" test "$code" = 2
expect "NaN input is named" grep -q "non-finite" "$work/gate.err"
gate --queries "$work/ev_q1.npy" --query-labels "$work/ev_labels.npy" --gallery "$work/ev_q1.npy" --gallery-labels "$work/ev_short.npy"
expect "a gallery too short for its labels exits 2" test "$code" = 2
gate
expect "no input (T = 0) exits 2" test "$code" = 2
python3 - "$work" <<'PY'
import json, sys, numpy as np
from safetensors.numpy import save_file
work = sys.argv[1]
rng = np.random.default_rng(1)
for version in (1, 3):
    save_file({"layers.0.weight": rng.standard_normal((16, 8)).astype(np.float32)}, f"{work}/ev_enc{version}.safetensors",
              metadata={"stasis.kind": "encoder", "stasis.format": "1", "stasis.space": "0123456789abcdef",
                        "stasis.version": str(version), "stasis.input_dim": "8", "stasis.output_dim": "16",
                        "stasis.layers": json.dumps([{"type": "linear"}])})
labels = rng.integers(0, 3, 60)
np.save(f"{work}/ev_features.npy", (rng.standard_normal((3, 8))[labels] + 0.5 * rng.standard_normal((60, 8))).astype(np.float32))
np.save(f"{work}/ev_flabels.npy", labels)
PY
"$cli" evaluate --encoder "$work/ev_enc1.safetensors" --encoder "$work/ev_enc3.safetensors" \
    --queries "$work/ev_features.npy" --queries "$work/ev_features.npy" --query-labels "$work/ev_flabels.npy" \
    --mode templates --metric map --json "$work/ev_enc.json" --html "$work/ev_enc.html" >/dev/null
expect "evaluate through encoders takes their versions" python3 -c "
import json, sys; r = json.load(open(sys.argv[1]))
assert r['versions'] == [1, 3] and r['mode'] == 'templates' and r['metric'] == 'map' and r['protocol'] == 'leave_one_out'" "$work/ev_enc.json"
set +e; "$cli" evaluate --query-labels "$work/ev_labels.npy" 2>"$work/ev.err"; code=$?; set -e
expect "evaluate without versions exits 1" test "$code" = 1
expect "evaluate names T = 0" grep -q "T = 0" "$work/ev.err"
# Adapters: stasis adapt fit | apply | inspect on .npy files.
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(3)
new = rng.standard_normal((200, 12)).astype(np.float32)
old = (new @ rng.standard_normal((12, 8))).astype(np.float32)
v3 = rng.standard_normal((200, 6)).astype(np.float32)
np.save(f"{work}/new.npy", new); np.save(f"{work}/old.npy", old); np.save(f"{work}/v3.npy", v3)
np.save(f"{work}/old_short.npy", old[:150])
bad = new.copy(); bad[4, 1] = np.nan; np.save(f"{work}/new_nan.npy", bad)
PY
out=$("$cli" adapt fit --kind ridge --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/a21.safetensors")
expect "adapt fit reports the direction and held-out numbers" grep -qE "ridge 2 -> 1 \(backward\), 12 -> 8, 180 training pairs; held out 20: mean cosine 0\.9" <<<"$out"
"$cli" adapt fit --kind procrustes --source-version 3 --target-version 2 "$work/v3.npy" "$work/new.npy" "$work/a32.safetensors" >/dev/null
"$cli" adapt apply --adapter "$work/a21.safetensors" "$work/new.npy" "$work/mapped.npy" >/dev/null
"$cli" adapt apply --adapter "$work/a32.safetensors" --adapter "$work/a21.safetensors" "$work/v3.npy" "$work/chained.npy" >/dev/null
expect "adapt apply matches the library, one adapter and a chain" python3 -c "
import sys, numpy as np, stasis
w = sys.argv[1]
a21, a32 = stasis.Adapter.open(w + '/a21.safetensors'), stasis.Adapter.open(w + '/a32.safetensors')
assert np.abs(np.load(w + '/mapped.npy') - a21.apply(np.load(w + '/new.npy'))).max() < 1e-6
assert np.abs(np.load(w + '/chained.npy') - a21.apply(a32.apply(np.load(w + '/v3.npy')))).max() < 1e-5" "$work"
text=$("$cli" adapt inspect "$work/a21.safetensors")
expect "adapt inspect shows kind and versions" grep -qE "^kind +ridge" <<<"$text"
expect "adapt inspect shows the held-out R@1" grep -qE "^val R@1 +" <<<"$text"
text=$("$cli" inspect "$work/a32.safetensors")
expect "inspect knows adapters" grep -qE "^direction +backward" <<<"$text"
json=$("$cli" adapt inspect --json "$work/a21.safetensors")
expect "adapt inspect --json" python3 -c "import json,sys; m=json.loads(sys.argv[1])['metadata']; assert m['adapter.target_dim']=='8'" "$json"
adapt_fails() { # adapt_fails DESCRIPTION NEEDLE ARGS... : fails, and writes no output
    rm -f "$work/refused.out"
    fails "$1" "$2" adapt "${@:3}"
    expect "$1 writes nothing" test ! -e "$work/refused.out"
}
adapt_fails "mismatched rows" "source has 200, target has 150" fit --source-version 2 --target-version 1 "$work/new.npy" "$work/old_short.npy" "$work/refused.out"
adapt_fails "NaN in the source" "source row 4 has a non-finite value" fit --source-version 2 --target-version 1 "$work/new_nan.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "too few pairs" "too few pairs" fit --kind ridge --validation 0.95 --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "an unknown kind" "unknown adapter kind" fit --kind quadratic --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "a chain with a gap" "gap at position 1" apply --adapter "$work/a21.safetensors" --adapter "$work/a32.safetensors" "$work/new.npy" "$work/refused.out"
adapt_fails "wrong input width" "has 6 columns" apply --adapter "$work/a21.safetensors" "$work/v3.npy" "$work/refused.out"
adapt_fails "inspect of another kind" "not an adapter" inspect "$work/enc.safetensors"

# Training (stasis train): .npy features and labels, progress, alignment, softmax, bad input.
"$cli" space create --kind simplex --classes 8 "$work/train_space.safetensors" >/dev/null
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(0)
labels = np.arange(240) % 5
centres = rng.standard_normal((5, 12)) * 3
np.save(f"{work}/train_x.npy", (centres[labels] + rng.standard_normal((240, 12))).astype(np.float32))
np.save(f"{work}/train_x2.npy", (rng.standard_normal((5, 12))[labels] * 3 + rng.standard_normal((240, 12))).astype(np.float32))
np.save(f"{work}/train_y.npy", labels.astype(np.int64))
np.save(f"{work}/train_y_short.npy", labels[:-1].astype(np.int64))
bad = (centres[labels] + rng.standard_normal((240, 12))).astype(np.float32)
bad[3, 4] = np.nan
np.save(f"{work}/train_nan.npy", bad)
open(f"{work}/train_names.txt", "w").write("".join(f"name{k}\n" for k in labels))
PY
out=$("$cli" train --space "$work/train_space.safetensors" --features "$work/train_x.npy" --labels "$work/train_y.npy" \
    --version 1 --epochs 6 --lr 0.01 --output "$work/train_v1.safetensors" 2>"$work/train_progress.txt")
expect "train reports the result" grep -q "version 1, 12 -> 7, raw features, 6 epochs, validation accuracy" <<<"$out"
expect "train saves the new labels" grep -q "5 new labels saved" <<<"$out"
expect "train prints one progress line per epoch" test "$(grep -c 'epoch [0-9]/6 \[' "$work/train_progress.txt")" = 6
expect "trained encoder carries the summary" python3 -c "
import sys, stasis
e = stasis.Encoder.open(sys.argv[1] + '/train_v1.safetensors')
s = stasis.Space.open(sys.argv[1] + '/train_space.safetensors')
assert e.training['epochs'] == 6 and e.training['items'] == 240 and len(s) == 5 and e.space == s.fingerprint" "$work"
out=$("$cli" train --space "$work/train_space.safetensors" --features "$work/train_x2.npy" --labels "$work/train_y.npy" \
    --version 2 --previous "$work/train_v1.safetensors" --previous-features "$work/train_x.npy" --alignment hoc \
    --paired-features "$work/train_x2.npy" --paired-previous-features "$work/train_x.npy" --feature softmax \
    --hidden 16 --normalization batchnorm --quiet --output "$work/train_v2.safetensors")
expect "aligned softmax training reports T" grep -q "softmax features (T = " <<<"$out"
expect "aligned encoder records its recipe" python3 -c "
import sys, stasis
e = stasis.Encoder.open(sys.argv[1] + '/train_v2.safetensors')
t = e.training
assert t['previousVersion'] == 1 and t['recipe']['alignment'] == 'hoc' and t['pairedItems'] == 240 and e.feature == 'softmax'" "$work"
"$cli" space create --kind simplex --classes 8 "$work/train_names_space.safetensors" >/dev/null
out=$("$cli" train --space "$work/train_names_space.safetensors" --features "$work/train_x.npy" \
    --labels "$work/train_names.txt" --version 1 --epochs 2 --quiet --output "$work/train_names.safetensors")
expect "string labels from a text file" python3 -c "
import sys, stasis
s = stasis.Space.open(sys.argv[1] + '/train_names_space.safetensors')
assert list(s.lookup(['name0', 'name4'])) == [0, 4]" "$work"
"$cli" space create --kind simplex --classes 4 "$work/train_small.safetensors" >/dev/null
cp "$work/train_space.safetensors" "$work/train_space_before.safetensors"
train_fails() { # train_fails DESCRIPTION NEEDLE ARGS...: fails, writes no encoder, leaves the space
    fails "$1" "$2" train --version 9 --output "$work/train_never.safetensors" --quiet "${@:3}"
    expect "$1 writes no encoder" test ! -e "$work/train_never.safetensors"
    expect "$1 leaves the space" cmp -s "$work/train_space.safetensors" "$work/train_space_before.safetensors"
}
train_fails "labels of another length" "239 labels for 240 feature rows" --space "$work/train_space.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y_short.npy"
train_fails "NaN features" "row 3 has a non-finite value" --space "$work/train_space.safetensors" \
    --features "$work/train_nan.npy" --labels "$work/train_y.npy"
train_fails "a full space" "the space is full" --space "$work/train_small.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy"
train_fails "a residual head without hidden layers" "--residual needs --hidden" --space "$work/train_space.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy" --residual
"$cli" train --space "$work/train_space.safetensors" --features "$work/train_x.npy" --labels "$work/train_y.npy" \
    --version 7 --output "$work/train_residual.safetensors" --hidden 16 --residual --epochs 2 --quiet >/dev/null
expect "train --residual stores a skip layer" python3 -c "
import stasis, sys, json
e = stasis.Encoder.open(sys.argv[1])
assert any(l['type'] == 'skip' for l in json.loads(e.metadata('stasis.layers')))" "$work/train_residual.safetensors"
"$cli" space create --kind simplex --classes 9 "$work/train_other.safetensors" >/dev/null
train_fails "a previous encoder of another space" "belongs to space" --space "$work/train_other.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy" --previous "$work/train_v1.safetensors" \
    --previous-features "$work/train_x.npy" --alignment hoc
train_fails "an unknown alignment" "--alignment must be one of" --space "$work/train_space.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy" --alignment magic

# Index files from the terminal: stasis index create | add | search | remove | inspect.
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(5)
np.save(f"{work}/ix_vectors.npy", rng.standard_normal((400, 16)).astype(np.float32))
np.save(f"{work}/ix_ids.npy", np.arange(400, dtype=np.int64) * 3)
np.save(f"{work}/ix_remove.npy", np.array([0, 3], np.int32))
np.save(f"{work}/ix_short_ids.npy", np.arange(5, dtype=np.int64))
PY
out=$("$cli" index create --dim 16 --factory IVF8,Flat "$work/ix.stasis")
expect "index create says it is untrained" grep -q "untrained" <<<"$out"
out=$("$cli" index add "$work/ix.stasis" "$work/ix_vectors.npy" --ids "$work/ix_ids.npy" --version 4)
expect "index add trains an untrained index first" grep -q "added 400 vectors as version 4 (trained on them first); 400 in all" <<<"$out"
out=$("$cli" index search "$work/ix.stasis" "$work/ix_vectors.npy" --k 3 --nprobe 8 --ids-out "$work/ix_I.npy" --scores-out "$work/ix_D.npy")
expect "index search prints the first query's hits" grep -q "^query 0: 0 (v4, 1.0)" <<<"$out"
expect "index search writes ids and scores matching the library" python3 -c "
import sys, numpy as np, stasis
w = sys.argv[1]
I, D = np.load(w + '/ix_I.npy'), np.load(w + '/ix_D.npy')
want = stasis.Index.open(w + '/ix.stasis').search(np.load(w + '/ix_vectors.npy'), 3, nprobe=8)
assert I.shape == D.shape == (400, 3) and I.dtype == np.int64 and D.dtype == np.float32
assert (I == want.ids).all() and np.abs(D - want.scores).max() < 1e-6" "$work"
out=$("$cli" index remove "$work/ix.stasis" --ids "$work/ix_remove.npy")
expect "index remove rewrites the file" grep -q "removed 2 vectors; 398 left" <<<"$out"
out=$("$cli" index search "$work/ix.stasis" "$work/ix_vectors.npy" --k 1 --only-version 5 --show 1)
expect "a version filter with no such vectors finds nothing" grep -q "^query 0: no hits" <<<"$out"
expect "index inspect describes the file" grep -qE "^factory +IVF8,Flat" <<<"$("$cli" index inspect "$work/ix.stasis")"
before=$(sha256sum "$work/ix.stasis")
ix_fails() { fails "index $1" "$2" index "${@:3}"; }  # ix_fails NAME NEEDLE ARGS...
ix_fails "add with a negative version" "version must be in 0...4294967295" add "$work/ix.stasis" "$work/ix_vectors.npy" --version -1
ix_fails "add with too few ids" "holds 5 ids for 400 vectors" add "$work/ix.stasis" "$work/ix_vectors.npy" --ids "$work/ix_short_ids.npy" --version 1
ix_fails "search with k 0" "k must be > 0" search "$work/ix.stasis" "$work/ix_vectors.npy" --k 0
ix_fails "remove of an unknown id" "not in the index" remove "$work/ix.stasis" --ids "$work/ix_remove.npy"
ix_fails "create with a bad factory" "HNSW M must be in 2...256" create --dim 16 --factory HNSW1 "$work/ix_bad.stasis"
ix_fails "create without a dimension" "give --dim or --space" create "$work/ix_bad.stasis"
ix_fails "inspect of a space file" "not an index file" inspect "$work/s17.safetensors"
expect "failed index commands leave the file as it was" test "$before" = "$(sha256sum "$work/ix.stasis")"
expect "failed creates write nothing" test ! -e "$work/ix_bad.stasis"
# The same through .fvecs / .ivecs (the ANN benchmark layout: int32 width, then the row).
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
x = np.load(f"{work}/ix_vectors.npy")
rows = np.hstack([np.full((len(x), 1), x.shape[1], np.int32).view(np.float32), x])
rows.astype(np.float32).tofile(f"{work}/ix_vectors.fvecs")
PY
"$cli" index create --dim 16 --factory Flat "$work/fx.stasis" >/dev/null
"$cli" index add "$work/fx.stasis" "$work/ix_vectors.fvecs" --version 1 >/dev/null
"$cli" index search "$work/fx.stasis" "$work/ix_vectors.fvecs" --k 2 --show 0 --ids-out "$work/fx_I.ivecs" --scores-out "$work/fx_D.fvecs" >/dev/null
expect ".fvecs in, .ivecs and .fvecs out" python3 -c "
import sys, numpy as np
w = sys.argv[1]
I = np.fromfile(w + '/fx_I.ivecs', np.int32).reshape(-1, 3)
D = np.fromfile(w + '/fx_D.fvecs', np.float32).reshape(-1, 3)
assert (I[:, 0] == 2).all() and (I[:, 1] == np.arange(400)).all() and np.allclose(D[:, 1], 1, atol=1e-5)" "$work"
printf 'junk' > "$work/junk.fvecs"
ix_fails "add of a damaged .fvecs" "row width of" add "$work/fx.stasis" "$work/junk.fvecs" --version 1

# Backfill: stasis backfill plan | status on a mixed-version gallery made through the binding.
python3 - "$work" <<'PY'
import sys, numpy as np, stasis
work = sys.argv[1]
rng = np.random.default_rng(5)
m = rng.standard_normal((8, 12))
px = rng.standard_normal((200, 8)).astype(np.float32); py = (px @ m).astype(np.float32)
x = rng.standard_normal((60, 8)).astype(np.float32)
forward = stasis.Adapter.fit(px, py, kind="ridge", source_version=1, target_version=2)
backward = stasis.Adapter.fit(py, px, kind="ridge", source_version=2, target_version=1)
forward.save(f"{work}/f12.safetensors")
g = stasis.Gallery()
g.register(1, 8); g.register(2, 12); g.add_adapter(backward); g.add_adapter(forward)
g.upsert(x, np.arange(60), 1)
g.upsert((x[:6] @ m).astype(np.float32), np.arange(6), 2)
g.save(f"{work}/gallery")
np.save(f"{work}/bf_ids.npy", np.arange(6, 60, dtype=np.int64)); np.save(f"{work}/bf_old.npy", x[6:])
np.save(f"{work}/bf_px.npy", px); np.save(f"{work}/bf_py.npy", py)
PY
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --seed 3 "$work/plan_random.json")
expect "backfill plan (random) counts the ids on the old version" grep -q "random 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy predicted-error --ids "$work/bf_ids.npy" \
    --vectors "$work/bf_old.npy" --adapter "$work/f12.safetensors" --paired-old "$work/bf_px.npy" --paired-new "$work/bf_py.npy" "$work/plan_err.json")
expect "backfill plan (predicted-error)" grep -q "predicted-error 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy neighbourhood --ids "$work/bf_ids.npy" \
    --vectors "$work/bf_old.npy" --adapter "$work/f12.safetensors" "$work/plan_near.json")
expect "backfill plan (neighbourhood)" grep -q "neighbourhood 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy hubs --ids "$work/bf_ids.npy" \
    --vectors "$work/bf_old.npy" --adapter "$work/f12.safetensors" "$work/plan_hubs.json")
expect "backfill plan (hubs)" grep -q "hubs 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy custom --ids "$work/bf_ids.npy" "$work/plan_own.json")
expect "backfill plan (custom order)" grep -q "custom 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill status --gallery "$work/gallery" --batch 5 --next-output "$work/next.npy" "$work/plan_random.json")
expect "backfill status shows a progress bar" grep -qE "^random 1 -> 2: \[\.{30}\] 0/54 done \(0\.0%\), 54 remaining" <<<"$out"
expect "backfill status lists versions" grep -q "^version 2: 6 items" <<<"$out"
expect "backfill status hands out the first batch of the plan" python3 -c "
import json, numpy as np, sys
order = json.load(open(sys.argv[1]))['order']
assert list(np.load(sys.argv[2])) == order[:5]" "$work/plan_random.json" "$work/next.npy"
backfill_fails() { # backfill_fails DESCRIPTION NEEDLE ARGS... : fails, and writes no output
    rm -f "$work/refused.out"
    fails "$1" "$2" backfill "${@:3}"
    expect "$1 writes nothing" test ! -e "$work/refused.out"
}
backfill_fails "an unregistered version" "version 9 is not registered" plan --gallery "$work/gallery" --from 1 --to 9 "$work/refused.out"
backfill_fails "an unknown policy" "unknown policy" plan --gallery "$work/gallery" --from 1 --to 2 --policy best "$work/refused.out"
backfill_fails "a scored policy without vectors" "--ids is required" plan --gallery "$work/gallery" --from 1 --to 2 --policy neighbourhood "$work/refused.out"
backfill_fails "the wrong adapter direction" "forward adapter 2->1" plan --gallery "$work/gallery" --from 2 --to 1 --policy neighbourhood --ids "$work/bf_ids.npy" --vectors "$work/bf_old.npy" --adapter "$work/f12.safetensors" "$work/refused.out"
backfill_fails "a missing gallery" "gallery.json" status --gallery "$work/nowhere" "$work/plan_random.json"

# ---- The whole command line: --help with examples, exit codes, .fvecs/.ivecs everywhere, --json ----
# Every command and subcommand (found by walking `stasis --help`) exits 0 on --help and shows an
# example; every example names only options its command has; docs/cli.md lists every command.
expect "--help of every command shows examples that use real options" python3 - "$cli" docs/cli.md <<'PY'
import re, subprocess, sys
cli, doc = sys.argv[1], open(sys.argv[2]).read()
helps, problems = {}, []
def walk(path):
    run = subprocess.run([cli, *path, "--help"], capture_output=True, text=True)
    name = " ".join(["stasis", *path])
    if run.returncode != 0:
        problems.append(f"{name} --help exits {run.returncode}")
    helps[tuple(path)] = run.stdout
    if "Example" not in run.stdout:
        problems.append(f"{name} --help shows no example")
    if path and f"`{' '.join(path)}`" not in doc and "SUBCOMMANDS:" not in run.stdout:
        problems.append(f"docs/cli.md does not list `{' '.join(path)}`")
    if "SUBCOMMANDS:" in run.stdout:
        for line in run.stdout.split("SUBCOMMANDS:")[1].splitlines():
            m = re.match(r"^  (\S+)", line)
            if m and m.group(1) not in ("See", "help"):
                walk(path + [m.group(1).split()[0]])
walk([])
def options(text):  # the flags listed in the OPTIONS section of a help text
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", text.split("OPTIONS:")[-1]))
for text in helps.values():
    overview = text.split("USAGE:")[0]  # abstract and discussion, where the examples are
    body = overview[overview.find("Example"):]
    for line in body.splitlines()[1:]:
        if line and not line.startswith("  "):  # a line too long for 80 columns, wrapped mid-command
            problems.append(f"an example line wraps at '{line}'")
    for example in re.sub(r"\\\n\s*", " ", body).splitlines():
        example = example.split("#")[0].split("|")[0].strip()
        if not example.startswith("stasis "):
            continue
        words = example.split()[1:]
        command = max((c for c in helps if tuple(words[:len(c)]) == c), key=len)
        unknown = [f for f in re.findall(r"(?<!\S)(--[a-z][a-z0-9-]*)", example) if f not in options(helps[command])]
        if unknown or (len(command) == 0 and words[0] not in {"--help", "--version"}):
            problems.append(f"example '{example}' uses {unknown or 'no known command'}")
if "docs/cli.md" not in helps[()]:
    problems.append("stasis --help does not point at docs/cli.md")
print("\n".join(problems))
sys.exit(1 if problems or len(helps) < 20 else 0)
PY
usage_fails() { # usage_fails DESCRIPTION NEEDLE ARGS... : the argument parser refuses (64) and says why
    local description=$1 needle=$2; shift 2
    set +e; err=$("$cli" "$@" 2>&1); code=$?; set -e
    expect "$description exits 64" test "$code" = 64
    expect "$description is named" grep -q -- "$needle" <<<"$err"
}
usage_fails "version with an unknown option" "Unknown option '--bogus'" version --bogus
usage_fails "index search without queries" "Missing expected argument '<queries>'" index search "$work/ix.stasis"
usage_fails "a mistyped k" "The value 'ten' is invalid for '--k" index search "$work/ix.stasis" "$work/ix_vectors.npy" --k ten
json_parses() { # json_parses DESCRIPTION TEXT : TEXT is one valid JSON document
    expect "$1 is valid JSON" python3 -m json.tool >/dev/null <<<"$2"
}
json=$("$cli" version --json)
json_parses "version --json" "$json"
expect "version --json names library and ABI" python3 -c "
import json, sys, stasis; d = json.loads(sys.argv[1]); assert d == {'library': stasis.version(), 'abi': 1}, d" "$json"

# Arrays as .fvecs / .ivecs for every command that reads or writes them.
vecs() { # vecs SRC.npy DST.(fvecs|ivecs) : the same rows in the ANN benchmark layout
    python3 - "$1" "$2" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1]); a = a.reshape(len(a), -1)
a = a.astype(np.int32 if sys.argv[2].endswith(".ivecs") else np.float32)
np.hstack([np.full((len(a), 1), a.shape[1], np.int32).view(a.dtype), a]).tofile(sys.argv[2])
PY
}
same() { # same DESCRIPTION A B : two array files (.npy/.fvecs/.ivecs) hold the same values
    expect "$1" python3 - "$2" "$3" <<'PY'
import sys, numpy as np
def load(path):
    if path.endswith(".npy"):
        a = np.load(path)
        return a.reshape(len(a), -1)
    raw = np.fromfile(path, np.int32 if path.endswith(".ivecs") else np.float32)
    width = raw[:1].view(np.int32)[0]
    return raw.reshape(-1, width + 1)[:, 1:]
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.shape == b.shape and np.allclose(a, b, atol=1e-6), (a.shape, b.shape)
PY
}
vecs "$work/features.npy" "$work/features.fvecs"
"$cli" encode --encoder "$work/enc.safetensors" "$work/features.fvecs" "$work/vectors.fvecs" >/dev/null
same "encode: .fvecs in and out equals .npy" "$work/vectors.npy" "$work/vectors.fvecs"
for f in new old v3; do vecs "$work/$f.npy" "$work/$f.fvecs"; done
"$cli" adapt fit --kind ridge --source-version 2 --target-version 1 "$work/new.fvecs" "$work/old.fvecs" "$work/a21f.safetensors" >/dev/null
"$cli" adapt apply --adapter "$work/a21f.safetensors" "$work/new.fvecs" "$work/mapped.fvecs" >/dev/null
same "adapt fit and apply on .fvecs equal the .npy run" "$work/mapped.npy" "$work/mapped.fvecs"
fails "adapt apply of a damaged .fvecs" "row width of" adapt apply --adapter "$work/a21.safetensors" "$work/junk.fvecs" "$work/refused.out"
for v in 1 2 3; do vecs "$work/ev_q$v.npy" "$work/ev_q$v.fvecs"; done
vecs "$work/ev_labels.npy" "$work/ev_labels.ivecs"
"$cli" evaluate --queries "$work/ev_q1.fvecs" --queries "$work/ev_q2.fvecs" --queries "$work/ev_q3.fvecs" \
    --query-labels "$work/ev_labels.ivecs" --json "$work/ev_vecs.json" --html "$work/ev_vecs.html" >/dev/null
expect "evaluate on .fvecs/.ivecs gives the .npy matrix" python3 -c "
import json, sys; a, b = (json.load(open(p))['matrix'] for p in sys.argv[1:]); assert a == b" "$work/ev.json" "$work/ev_vecs.json"
python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.zeros((200, 2), np.int64))" "$work/ev_wide.npy"
vecs "$work/ev_wide.npy" "$work/ev_wide.ivecs"
fails "evaluate with two-column .ivecs labels" "must be a 1-D label array" evaluate --queries "$work/ev_q1.fvecs" \
    --query-labels "$work/ev_wide.ivecs" --json "$work/refused.json" --html "$work/refused.html"
vecs "$work/train_x.npy" "$work/train_x.fvecs"; vecs "$work/train_y.npy" "$work/train_y.ivecs"
"$cli" space create --kind simplex --classes 8 "$work/train_vecs_space.safetensors" >/dev/null
json=$("$cli" train --space "$work/train_vecs_space.safetensors" --features "$work/train_x.fvecs" --labels "$work/train_y.ivecs" \
    --version 1 --epochs 2 --quiet --json --output "$work/train_vecs.safetensors")
json_parses "train --json" "$json"
expect "train --json on .fvecs/.ivecs summarises the run" python3 -c "
import json, sys, stasis
d = json.loads(sys.argv[1]); e = stasis.Encoder.open(sys.argv[2])
assert d['output'] == sys.argv[2] and d['version'] == 1 and d['input_dim'] == 12 and d['output_dim'] == 7
assert d['new_labels'] == 5 and d['temperature'] is None and d['feature'] == 'raw'
assert d['training']['items'] == 240 and d['training'] == e.training, (d['training'], e.training)" "$json" "$work/train_vecs.safetensors"
vecs "$work/train_y_short.npy" "$work/train_y_short.ivecs"
train_fails ".ivecs labels of another length" "239 labels for 240 feature rows" --space "$work/train_space.safetensors" \
    --features "$work/train_x.fvecs" --labels "$work/train_y_short.ivecs"
vecs "$work/bf_ids.npy" "$work/bf_ids.ivecs"; vecs "$work/bf_old.npy" "$work/bf_old.fvecs"
json=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy neighbourhood --ids "$work/bf_ids.ivecs" \
    --vectors "$work/bf_old.fvecs" --adapter "$work/f12.safetensors" --json "$work/plan_vecs.json")
json_parses "backfill plan --json" "$json"
expect "backfill plan on .ivecs/.fvecs equals the .npy plan" python3 -c "
import json, sys
d = json.loads(sys.argv[1]); assert d == {'output': sys.argv[2], 'policy': 'neighbourhood', 'from': 1, 'to': 2, 'count': 54}, d
assert json.load(open(sys.argv[2]))['order'] == json.load(open(sys.argv[3]))['order']" "$json" "$work/plan_vecs.json" "$work/plan_near.json"
json=$("$cli" backfill status --gallery "$work/gallery" --batch 4 --next-output "$work/next.ivecs" --json "$work/plan_vecs.json")
json_parses "backfill status --json" "$json"
expect "backfill status --json hands out the batch as JSON and .ivecs" python3 -c "
import json, sys, numpy as np
d = json.loads(sys.argv[1]); order = json.load(open(sys.argv[2]))['order']
assert d['done'] == 0 and d['remaining'] == 54 and d['total'] == 54 and d['versions'] == {'1': 54, '2': 6}, d
assert d['next_batch']['ids'] == order[:4] and d['next_batch']['output'] == sys.argv[3]
raw = np.fromfile(sys.argv[3], np.int32).reshape(-1, 2); assert (raw[:, 0] == 1).all() and list(raw[:, 1]) == order[:4]" \
    "$json" "$work/plan_vecs.json" "$work/next.ivecs"
json=$("$cli" backfill status --gallery "$work/gallery" --json "$work/plan_vecs.json")
expect "backfill status --json without --batch has a null next_batch" python3 -c "
import json, sys; assert json.loads(sys.argv[1])['next_batch'] is None" "$json"
cp "$work/junk.fvecs" "$work/junk.ivecs"
backfill_fails "a damaged .ivecs of ids" "row width of" plan --gallery "$work/gallery" --from 1 --to 2 --policy custom --ids "$work/junk.ivecs" "$work/refused.out"
backfill_fails "ids given as .fvecs" "ids and labels are .npy or .ivecs" plan --gallery "$work/gallery" --from 1 --to 2 --policy custom --ids "$work/bf_old.fvecs" "$work/refused.out"
fails "vectors given as .ivecs" "vectors are .npy or .fvecs" encode --encoder "$work/enc.safetensors" "$work/bf_ids.ivecs" "$work/refused.out"
ix_fails "search writing ids as .fvecs" "ids are written as .npy or .ivecs" search "$work/fx.stasis" "$work/ix_vectors.npy" --ids-out "$work/refused.fvecs"
expect "a refused output writes nothing" test ! -e "$work/refused.fvecs"

# --json where a pipeline reads the answer.
json=$("$cli" index search "$work/ix.stasis" "$work/ix_vectors.npy" --k 3 --nprobe 8 --json)
json_parses "index search --json" "$json"
expect "index search --json holds every query's ids, scores and versions" python3 -c "
import json, sys, numpy as np, stasis
d = json.loads(sys.argv[1]); w = sys.argv[2]
want = stasis.Index.open(w + '/ix.stasis').search(np.load(w + '/ix_vectors.npy'), 3, nprobe=8)
assert d['queries'] == 400 and d['k'] == 3 and np.array_equal(np.array(d['ids']), want.ids)
assert np.abs(np.array(d['scores'], dtype=float) - want.scores).max() < 1e-6 and {v for r in d['versions'] for v in r} == {4}" "$json" "$work"
json=$("$cli" index search "$work/ix.stasis" "$work/ix_vectors.npy" --k 2 --only-version 5 --json)
expect "index search --json marks missing hits (-1, null, 0)" python3 -c "
import json, sys; d = json.loads(sys.argv[1])
assert d['ids'][0] == [-1, -1] and d['scores'][0] == [None, None] and d['versions'][0] == [0, 0]" "$json"
ix_fails "search --json with a wrong query width" "dimension" search "$work/ix.stasis" "$work/features.npy" --json
json=$("$cli" encode --encoder "$work/enc.safetensors" --json "$work/features.npy" "$work/vectors_j.npy")
json_parses "encode --json" "$json"
expect "encode --json gives the shape and version" python3 -c "
import json, sys; assert json.loads(sys.argv[1]) == {'output': sys.argv[2], 'rows': 30, 'dimension': 16, 'version': 2}" "$json" "$work/vectors_j.npy"
json=$("$cli" index create --dim 16 --factory Flat --json "$work/jx.stasis")
json_parses "index create --json" "$json"
json=$("$cli" index add "$work/jx.stasis" "$work/ix_vectors.npy" --ids "$work/ix_ids.npy" --version 7 --json)
json_parses "index add --json" "$json"
expect "index add --json is the rewritten header" python3 -c "
import json, sys; d = json.loads(sys.argv[1]); assert d['count'] == 400 and d['versions'] == [{'version': 7, 'count': 400}], d" "$json"
json=$("$cli" index remove "$work/jx.stasis" --ids "$work/ix_remove.npy" --json)
expect "index remove --json counts what is left" python3 -c "
import json, sys; d = json.loads(sys.argv[1]); assert d['count'] == 398 and d['slots'] == 400, d" "$json"
json=$("$cli" index inspect --json "$work/ix.stasis")
json_parses "index inspect --json" "$json"
expect "index inspect --json counts the vectors" python3 -c "
import json, sys; d = json.loads(sys.argv[1]); assert d['count'] == 398 and d['factory'] == 'IVF8,Flat'" "$json"
json=$("$cli" space create --kind orthoplex --classes 6 --json "$work/s6.safetensors")
json_parses "space create --json" "$json"
expect "space create --json describes the new file" python3 -c "
import json, sys; m = json.loads(sys.argv[1])['metadata']; assert m['space.kind'] == 'orthoplex' and m['space.dimension'] == '3', m" "$json"
json=$("$cli" space inspect --json "$work/s6.safetensors")
json_parses "space inspect --json" "$json"
expect "space inspect --json equals inspect --json" test "$json" = "$("$cli" inspect --json "$work/s6.safetensors")"
expect "space inspect shows the kind" grep -qE "^kind +orthoplex" <<<"$("$cli" space inspect "$work/s6.safetensors")"
fails "space inspect of an index" "is a Stasis index file, not a safetensors space" space inspect "$work/ix.stasis"
fails "space inspect of an encoder" "is a Stasis encoder file, not a space" space inspect "$work/enc.safetensors"
json=$("$cli" inspect --json "$work/enc.safetensors")
json_parses "inspect --json of an encoder" "$json"
json=$("$cli" adapt fit --kind ridge --source-version 2 --target-version 1 --json "$work/new.npy" "$work/old.npy" "$work/a21j.safetensors")
json_parses "adapt fit --json" "$json"
expect "adapt fit --json carries the held-out numbers" python3 -c "
import json, sys; m = json.loads(sys.argv[1])['metadata']
assert m['adapter.kind'] == 'ridge' and float(m['adapter.validation_mean_cosine']) > 0.9, m" "$json"
json=$("$cli" evaluate "${ev[@]}" --json - --html "$work/ev_stdout.html")
json_parses "evaluate --json -" "$json"
expect "evaluate --json - prints the report file's content" python3 -c "
import json, sys; assert json.loads(sys.argv[1]) == json.load(open(sys.argv[2]))" "$json" "$work/ev.json"
expect "evaluate --json - still writes the HTML" grep -q "<svg" "$work/ev_stdout.html"
gate --report "$work/ev.json" --serve 3 --galleries 1,2 --json -
expect "gate --json - keeps the failing status" test "$code" = 1
json_parses "gate --json -" "$(cat "$work/gate.out")"
expect "gate --json - prints only the verdict" python3 -c "
import json, sys; d = json.load(open(sys.argv[1])); assert d['passed'] is False and 'v3/v1' in d['failing'] and d['serve'] == 3, d" "$work/gate.out"
gate --report "$work/ev.json" --serve 3 --galleries 1,2 --margin -1 --json -
expect "gate --json - passing exits 0" test "$code" = 0
expect "gate --json - passing says so" python3 -c "import json, sys; assert json.load(open(sys.argv[1]))['passed'] is True" "$work/gate.out"

# demo: the full checks of its numbers are in Tests/python/test_demo.py; here the CLI contract.
fails "demo without its data" "texts.txt" demo --data "$work/no-such-folder" --output "$work/demo"
fails "demo with zero epochs" "--epochs must be at least 1" demo --epochs 0 --output "$work/demo"
fails "demo with an unknown feature" "--feature must be softmax or raw" demo --feature logits --output "$work/demo"
touch "$work/demo-file"
fails "demo writing into a file" "is not a folder" demo --quick --output "$work/demo-file"
"$cli" demo --quick --per-class 10 --epochs 1 --quiet --output "$work/demo"; expect "a tiny demo exits 0" test $? = 0
expect "the tiny demo writes its page and summary" test -s "$work/demo/demo.html" -a -s "$work/demo/demo.json"
json=$("$cli" demo --quick --per-class 10 --epochs 1 --skip-legacy --json --output "$work/demo2")
json_parses "demo --json" "$json"
expect "demo --json is demo.json" python3 -c "import json, sys; assert json.loads(sys.argv[1]) == json.load(open(sys.argv[2]))" "$json" "$work/demo2/demo.json"

# Durability: index compact, index checkpoint (replaying a write-ahead log written by Python).
python3 - "$work" <<'PY'
import sys, numpy as np, stasis
w = sys.argv[1]
x = np.random.default_rng(8).standard_normal((100, 8)).astype(np.float32)
index = stasis.Index(8, "Flat")
index.add(x, np.arange(100), 1)
index.remove(np.arange(30))
index.save(w + "/cx.stasis")
index.enable_wal(w + "/cx.wal")
index.add(x[:5], np.arange(200, 205), 2)
index.close()
PY
out=$("$cli" index compact "$work/cx.stasis")
expect "index compact reports the reclaimed slots" grep -q "reclaimed 30 slots" <<<"$out"
json=$("$cli" index compact "$work/cx.stasis" --json)
json_parses "index compact --json" "$json"
expect "index compact --json reports nothing left to reclaim" python3 -c "
import json, sys; d = json.loads(sys.argv[1]); assert d['slotsReclaimed'] == 0 and d['count'] == 70, d" "$json"
out=$("$cli" index checkpoint "$work/cx.stasis" --wal "$work/cx.wal")
expect "index checkpoint replays the log" grep -q "replayed 1 logged changes" <<<"$out"
expect "index checkpoint folds the log into the file" python3 -c "
import os, sys, stasis; w = sys.argv[1]
assert stasis.inspect(w + '/cx.stasis')['count'] == 75 and os.path.getsize(w + '/cx.wal') == 32" "$work"
out=$("$cli" index compact "$work/ix.stasis")
expect "index compact of an IVF index copies its codes" grep -q "reclaimed 2 slots" <<<"$out"
fails "index compact of a missing file" "No such file" index compact "$work/missing.stasis"
fails "index checkpoint with a log of another index" "another index" index checkpoint "$work/ix.stasis" --wal "$work/cx.wal"
printf 'junk' >"$work/junk.wal"
fails "index checkpoint with a non-log" "not a Stasis write-ahead log" index checkpoint "$work/cx.stasis" --wal "$work/junk.wal"


# Adapter kinds beyond the closed forms, and the unpaired fit (new.npy / old.npy from the adapter block).
for kind in orthogonal mlp local; do
    extra=()
    [ $kind = mlp ] && extra=(--hidden 16 --epochs 3)
    [ $kind = local ] && extra=(--clusters 3 --routing 2)
    out=$("$cli" adapt fit --kind $kind "${extra[@]}" --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/k_$kind.safetensors")
    expect "adapt fit --kind $kind reports held-out numbers" grep -qE "$kind 2 -> 1 \(backward\), 12 -> 8, 180 training pairs; held out 20" <<<"$out"
done
text=$("$cli" adapt inspect "$work/k_local.safetensors")
expect "adapt inspect shows a local adapter's clusters" grep -qE "^clusters +3" <<<"$text"
expect "adapt inspect says the fit was paired" grep -qE "^fit +paired" <<<"$text"
"$cli" adapt apply --adapter "$work/k_mlp.safetensors" "$work/new.npy" "$work/k_mapped.npy" >/dev/null
expect "adapt apply through an mlp adapter writes unit rows" python3 -c "
import numpy as np, sys; m = np.load(sys.argv[1]); assert m.shape == (200, 8) and np.allclose(np.linalg.norm(m, axis=1), 1, atol=1e-5)" "$work/k_mapped.npy"
python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
new = np.load(f"{work}/new.npy")
np.save(f"{work}/old_other_items.npy", np.load(f"{work}/old.npy")[100:])
np.save(f"{work}/new_first_items.npy", new[:100])
PY
out=$("$cli" adapt fit --unpaired --clusters 3 --epochs 2 --source-version 2 --target-version 1 "$work/new_first_items.npy" "$work/old_other_items.npy" "$work/unpaired.safetensors")
expect "adapt fit --unpaired says it had no pairs" grep -q "fitted WITHOUT pairs on 100 + 100 rows: no held-out numbers" <<<"$out"
text=$("$cli" adapt inspect "$work/unpaired.safetensors")
expect "adapt inspect says the fit was unpaired" grep -qE "^fit +unpaired" <<<"$text"
fails "adapt fit with too many local clusters" "too few pairs" adapt fit --kind local --clusters 100 --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/never.safetensors"
fails "adapt fit --unpaired from too few rows" "too few rows" adapt fit --unpaired --source-version 2 --target-version 1 "$work/new.npy" "$work/old_short.npy" "$work/never.safetensors" --clusters 40
fails "adapt fit --unpaired with a NaN row" "source row 4" adapt fit --unpaired --source-version 2 --target-version 1 "$work/new_nan.npy" "$work/old.npy" "$work/never.safetensors"
fails "adapt fit with a bad orthogonality" "orthogonality" adapt fit --kind orthogonal --orthogonality -1 --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/never.safetensors"
expect "failed adapter fits write nothing" test ! -e "$work/never.safetensors"
# ---- Mixed-version galleries: stasis gallery create | upsert | remove | search | inspect | calibrate ----
python3 - "$work" <<'PY'
import sys, numpy as np, stasis
work = sys.argv[1]
rng = np.random.default_rng(8)
m = rng.standard_normal((8, 12))
px = rng.standard_normal((200, 8)).astype(np.float32); py = (px @ m).astype(np.float32)
x = rng.standard_normal((40, 8)).astype(np.float32)
stasis.Adapter.fit(py, px, kind="ridge", source_version=2, target_version=1).save(f"{work}/g21.safetensors")
stasis.Adapter.fit(px, py, kind="ridge", source_version=1, target_version=2).save(f"{work}/g12.safetensors")
np.save(f"{work}/g_old.npy", x); np.save(f"{work}/g_ids.npy", np.arange(40, dtype=np.int64))
np.save(f"{work}/g_new.npy", (x[:10] @ m).astype(np.float32)); np.save(f"{work}/g_new_ids.npy", np.arange(10, dtype=np.int64))
np.save(f"{work}/g_q.npy", (x[:5] @ m).astype(np.float32))
np.save(f"{work}/g_held.npy", (rng.standard_normal((30, 8)) @ m).astype(np.float32))
np.save(f"{work}/g_px.npy", px); np.save(f"{work}/g_py.npy", py)
np.save(f"{work}/g_unknown.npy", np.array([3, 999], dtype=np.int64))
PY
out=$("$cli" gallery create --version 1:8 --version 2:12 --adapter "$work/g21.safetensors" --adapter "$work/g12.safetensors" "$work/cg")
expect "gallery create summarises" grep -q "2 versions, 2 bridges, factory Flat" <<<"$out"
"$cli" gallery upsert "$work/cg" --version 1 --ids "$work/g_ids.npy" "$work/g_old.npy" >/dev/null
out=$("$cli" gallery upsert "$work/cg" --version 2 --ids "$work/g_new_ids.npy" "$work/g_new.npy")
expect "gallery upsert moves items to the new version" grep -q "upserted 10, 40 items (v1 30, v2 10)" <<<"$out"
json=$("$cli" gallery search "$work/cg" --version 2 "$work/g_q.npy" --k 3 --json)
expect "gallery search finds each query's own item across versions" python3 -c "
import json, sys; d = json.loads(sys.argv[1])
assert d['queries'] == 5 and d['k'] == 3 and [row[0] for row in d['ids']] == [0, 1, 2, 3, 4], d
assert all(row[0] == 2 for row in d['versions']) and len(d['cosines'][0]) == 3" "$json"
"$cli" gallery calibrate "$work/cg" --version 2 "$work/g_held.npy" --k 5 >/dev/null
"$cli" gallery calibrate "$work/cg" --version 1 "$work/g_held.npy" --stored-version 2 --paired-query "$work/g_px.npy" --paired-stored "$work/g_py.npy" 2>/dev/null \
    && { echo "FAIL: calibrate accepted 12-d held-out queries for version 1"; failures=$((failures + 1)); }
out=$("$cli" gallery calibrate "$work/cg" --version 2 "$work/g_held.npy" --stored-version 1 --paired-query "$work/g_py.npy" --paired-stored "$work/g_px.npy")
expect "gallery calibrate (paired) prints the route rules" grep -q "^version 2 -> space 'v1': mean" <<<"$out"
text=$("$cli" gallery inspect "$work/cg")
expect "gallery inspect lists versions with counts" grep -qE "^version 1 +8 dimensions, space 'v1', 30 items" <<<"$text"
expect "gallery inspect lists bridges" grep -qE "^bridge +2 -> 1 \(ridge\)" <<<"$text"
expect "gallery inspect lists calibration" grep -q "^calibration version 2 -> space 'v2': mean 0" <<<"$text"
json=$("$cli" gallery inspect --json "$work/cg")
expect "gallery inspect --json" python3 -c "
import json, sys; d = json.loads(sys.argv[1])
assert d['count'] == 40 and [v['count'] for v in d['versions']] == [30, 10], d
assert d['bridges'][0]['links'][0] == {'source': 2, 'target': 1, 'kind': 'ridge'} and len(d['calibration']) == 2" "$json"
expect "a CLI gallery opens in the binding" python3 -c "
import sys, stasis; g = stasis.Gallery.open(sys.argv[1]); assert g.count(1) == 30 and g.count(2) == 10" "$work/cg"
# backfill plan | status work on a gallery made by the CLI.
"$cli" backfill plan --gallery "$work/cg" --from 1 --to 2 --seed 1 "$work/cg_plan.json" >/dev/null
out=$("$cli" backfill status --gallery "$work/cg" "$work/cg_plan.json")
expect "backfill status on a CLI gallery shows its bar" grep -qE "^random 1 -> 2: \[\.{30}\] 0/30 done \(0\.0%\), 30 remaining" <<<"$out"
# A chain v3 -> v2 -> v1 as one bridge (adapters from the adapt tests above).
out=$("$cli" gallery create --version 1:8 --version 3:6 --chain "$work/a32.safetensors,$work/a21.safetensors" "$work/cg3")
expect "gallery create with a chain" grep -q "2 versions, 1 bridges" <<<"$out"
expect "gallery inspect shows the chain" grep -qE "^bridge +3 -> 2 -> 1 \(procrustes, ridge\)" <<<"$("$cli" gallery inspect "$work/cg3")"
# Bad input: a clear error, nothing created or changed.
gallery_refused() { # gallery_refused DESCRIPTION NEEDLE ARGS... : fails, and creates no gallery
    rm -rf "$work/cg_bad"
    fails "$1" "$2" gallery "${@:3}"
    expect "$1 creates nothing" test ! -e "$work/cg_bad/gallery.json"
}
gallery_refused "an adapter whose source version is not in the gallery" "source version 2 is not registered" \
    create --version 1:8 --adapter "$work/g21.safetensors" "$work/cg_bad"
gallery_refused "a chain with a gap" "gap" create --version 1:8 --version 3:6 --chain "$work/a21.safetensors,$work/a32.safetensors" "$work/cg_bad"
gallery_refused "an adapter of other widths" "dimensions" create --version 1:8 --version 2:16 --adapter "$work/g21.safetensors" "$work/cg_bad"
gallery_refused "a malformed version" "VERSION:DIM" create --version 1 "$work/cg_bad"
gallery_refused "an untrained-only factory" "needs training" create --factory IVF16,Flat --version 1:8 "$work/cg_bad"
before=$("$cli" gallery inspect --json "$work/cg")
fails "gallery create over an existing gallery" "already holds a gallery" gallery create --version 1:8 "$work/cg"
fails "gallery upsert of the wrong width" "version 2 vectors have 12 dimensions, got 8" gallery upsert "$work/cg" --version 2 --ids "$work/g_ids.npy" "$work/g_old.npy"
fails "gallery upsert of an unregistered version" "version 7 is not registered" gallery upsert "$work/cg" --version 7 --ids "$work/g_ids.npy" "$work/g_old.npy"
fails "gallery upsert with fewer ids than rows" "--ids has 10 ids" gallery upsert "$work/cg" --version 1 --ids "$work/g_new_ids.npy" "$work/g_old.npy"
fails "gallery remove of unknown ids" "id 999 is not in the gallery" gallery remove "$work/cg" --ids "$work/g_unknown.npy"
fails "gallery search with queries of the wrong width" "12 dimensions, got 8" gallery search "$work/cg" --version 2 "$work/g_old.npy"
fails "gallery search of an unknown space" "space 'v9' is not in the gallery" gallery search "$work/cg" --version 2 --space v9 "$work/g_q.npy"
fails "gallery calibrate with pairs but no stored version" "need --stored-version" gallery calibrate "$work/cg" --version 2 "$work/g_held.npy" --paired-query "$work/g_py.npy"
fails "gallery inspect of a missing gallery" "gallery.json" gallery inspect "$work/nowhere"
expect "refused gallery commands change nothing" test "$before" = "$("$cli" gallery inspect --json "$work/cg")"
out=$("$cli" gallery remove "$work/cg" --ids "$work/g_new_ids.npy" --json)
expect "gallery remove --json" python3 -c "
import json, sys; d = json.loads(sys.argv[1]); assert d['removed'] == 10 and d['count'] == 30 and d['versions'] == {'1': 30}, d" "$out"

# OpenBLAS kernels: unset, the command re-executes itself once with OPENBLAS_CORETYPE named from the
# CPU flags (OPENBLAS_VERBOSE=2 makes OpenBLAS print the core it loads with, once per start).
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has_flags() { for f in "$@"; do [[ "$cpu_flags" == *" $f "* ]] || return 1; done; }
family=""
if has_flags avx512f avx512cd avx512bw avx512dq avx512vl; then family=SkylakeX; elif has_flags avx2 fma; then family=Haswell; fi
cores=$(env -u OPENBLAS_CORETYPE -u STASIS_OPENBLAS_AUTO OPENBLAS_VERBOSE=2 "$cli" version 2>&1 | grep '^Core:' || true)
if [ -n "$family" ] && [ -n "$cores" ]; then
    expect "the CLI names the OpenBLAS kernels ($family)" test "$(tail -1 <<<"$cores")" = "Core: $family"
fi
if [ -n "$cores" ]; then
    expect "STASIS_OPENBLAS_AUTO=0: no re-execution" test "$(env -u OPENBLAS_CORETYPE STASIS_OPENBLAS_AUTO=0 OPENBLAS_VERBOSE=2 "$cli" version 2>&1 | grep -c '^Core:')" = 1
    expect "the caller's OPENBLAS_CORETYPE wins" test "$(OPENBLAS_CORETYPE=Haswell OPENBLAS_VERBOSE=2 "$cli" version 2>&1 | grep '^Core:')" = "Core: Haswell"
fi
expect "the CLI still runs with the kernels named" "$cli" version

[ $failures = 0 ] && echo "CLI tests: all passed"
exit $failures
