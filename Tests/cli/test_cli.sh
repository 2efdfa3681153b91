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
expect "garbage is named" grep -q "not a Stasis index" <<<"$err"

[ $failures = 0 ] && echo "CLI tests: all passed"
exit $failures
