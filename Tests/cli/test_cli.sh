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
train_fails() { # train_fails DESCRIPTION NEEDLE ARGS...: exits 1, names the problem, writes nothing
    local description=$1 needle=$2; shift 2
    set +e
    err=$("$cli" train --version 9 --output "$work/train_never.safetensors" --quiet "$@" 2>&1); code=$?
    set -e
    expect "$description exits 1" test "$code" = 1
    expect "$description is named" grep -q -- "$needle" <<<"$err"
    expect "$description writes no encoder" test ! -e "$work/train_never.safetensors"
    expect "$description leaves the space" cmp -s "$work/train_space.safetensors" "$work/train_space_before.safetensors"
}
train_fails "labels of another length" "239 labels for 240 feature rows" --space "$work/train_space.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y_short.npy"
train_fails "NaN features" "row 3 has a non-finite value" --space "$work/train_space.safetensors" \
    --features "$work/train_nan.npy" --labels "$work/train_y.npy"
train_fails "a full space" "the space is full" --space "$work/train_small.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy"
"$cli" space create --kind simplex --classes 9 "$work/train_other.safetensors" >/dev/null
train_fails "a previous encoder of another space" "belongs to space" --space "$work/train_other.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy" --previous "$work/train_v1.safetensors" \
    --previous-features "$work/train_x.npy" --alignment hoc
train_fails "an unknown alignment" "--alignment must be one of" --space "$work/train_space.safetensors" \
    --features "$work/train_x.npy" --labels "$work/train_y.npy" --alignment magic

[ $failures = 0 ] && echo "CLI tests: all passed"
exit $failures
