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
adapt_fails() { # adapt_fails DESCRIPTION NEEDLE ARGS... : exits 1, names the problem, writes no output
    local description=$1 needle=$2; shift 2
    rm -f "$work/refused.out"
    set +e
    err=$("$cli" adapt "$@" 2>&1); code=$?
    set -e
    expect "$description exits 1" test "$code" = 1
    expect "$description is explained" grep -q -- "$needle" <<<"$err"
    expect "$description writes nothing" test ! -e "$work/refused.out"
}
adapt_fails "mismatched rows" "source has 200, target has 150" fit --source-version 2 --target-version 1 "$work/new.npy" "$work/old_short.npy" "$work/refused.out"
adapt_fails "NaN in the source" "source row 4 has a non-finite value" fit --source-version 2 --target-version 1 "$work/new_nan.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "too few pairs" "too few pairs" fit --kind ridge --validation 0.95 --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "a planned kind" "not implemented yet" fit --kind local --source-version 2 --target-version 1 "$work/new.npy" "$work/old.npy" "$work/refused.out"
adapt_fails "a chain with a gap" "gap at position 1" apply --adapter "$work/a21.safetensors" --adapter "$work/a32.safetensors" "$work/new.npy" "$work/refused.out"
adapt_fails "wrong input width" "has 6 columns" apply --adapter "$work/a21.safetensors" "$work/v3.npy" "$work/refused.out"
adapt_fails "inspect of another kind" "not an adapter" inspect "$work/enc.safetensors"

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
out=$("$cli" backfill plan --gallery "$work/gallery" --from 1 --to 2 --policy custom --ids "$work/bf_ids.npy" "$work/plan_own.json")
expect "backfill plan (custom order)" grep -q "custom 1 -> 2, 54 ids" <<<"$out"
out=$("$cli" backfill status --gallery "$work/gallery" --batch 5 --next-output "$work/next.npy" "$work/plan_random.json")
expect "backfill status shows a progress bar" grep -qE "^random 1 -> 2: \[\.{30}\] 0/54 done \(0\.0%\), 54 remaining" <<<"$out"
expect "backfill status lists versions" grep -q "^version 2: 6 items" <<<"$out"
expect "backfill status hands out the first batch of the plan" python3 -c "
import json, numpy as np, sys
order = json.load(open(sys.argv[1]))['order']
assert list(np.load(sys.argv[2])) == order[:5]" "$work/plan_random.json" "$work/next.npy"
backfill_fails() { # backfill_fails DESCRIPTION NEEDLE ARGS... : exits 1, names the problem, writes no output
    local description=$1 needle=$2; shift 2
    rm -f "$work/refused.out"
    set +e
    err=$("$cli" backfill "$@" 2>&1); code=$?
    set -e
    expect "$description exits 1" test "$code" = 1
    expect "$description is explained" grep -q -- "$needle" <<<"$err"
    expect "$description writes nothing" test ! -e "$work/refused.out"
}
backfill_fails "an unregistered version" "version 9 is not registered" plan --gallery "$work/gallery" --from 1 --to 9 "$work/refused.out"
backfill_fails "an unknown policy" "unknown policy" plan --gallery "$work/gallery" --from 1 --to 2 --policy best "$work/refused.out"
backfill_fails "a scored policy without vectors" "--ids is required" plan --gallery "$work/gallery" --from 1 --to 2 --policy neighbourhood "$work/refused.out"
backfill_fails "the wrong adapter direction" "forward adapter 2->1" plan --gallery "$work/gallery" --from 2 --to 1 --policy neighbourhood --ids "$work/bf_ids.npy" --vectors "$work/bf_old.npy" --adapter "$work/f12.safetensors" "$work/refused.out"
backfill_fails "a missing gallery" "gallery.json" status --gallery "$work/nowhere" "$work/plan_random.json"

[ $failures = 0 ] && echo "CLI tests: all passed"
exit $failures
