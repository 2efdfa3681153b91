#!/usr/bin/env bash
# Checks a built libstasis.so: it exports exactly the functions include/stasis.h declares (nothing
# else, not even local entries), and it needs no Swift runtime.
set -euo pipefail
so="${1:?usage: check_library.sh LIBSTASIS.so STASIS.h}"
header="${2:?usage: check_library.sh LIBSTASIS.so STASIS.h}"
status=0
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -vE '^(_init|_fini|__bss_start|_edata|_end)$' | sort -u)
declared=$(grep -oE '\bstasis_[a-z0-9_]+[[:space:]]*\(' "$header" | sed 's/[[:space:]]*($//' | sort -u)
if [ "$exported" != "$declared" ]; then
    echo "FAIL: exported symbols differ from the header:"
    diff <(echo "$declared") <(echo "$exported") | sed 's/^/  /' | head -20
    status=1
fi
if ldd "$so" | grep -qi swift; then
    echo "FAIL: $so depends on the Swift runtime"
    status=1
fi
[ $status = 0 ] && echo "libstasis.so: $(echo "$exported" | wc -l) stasis_* symbols, exactly the header's; no Swift runtime"
exit $status
