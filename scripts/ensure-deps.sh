#!/usr/bin/env bash
# Installs what building and testing Stasis needs, only when it is missing (Debian bookworm, root).
# Usage: scripts/ensure-deps.sh [--bench | --test]
#   --bench adds the packages the benchmarks compare against; --test adds headless Chromium, which
#   the report-rendering test screenshots the HTML report with.
set -euo pipefail

apt_packages=(libfaiss-dev libopenblas-dev pkg-config wordnet-base)
[ "${1:-}" = "--test" ] && apt_packages+=(chromium)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "stasis: installing Debian packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python_modules=(numpy pytest safetensors)
[ "${1:-}" = "--bench" ] && python_modules+=(faiss)
need_pip=()
for module in "${python_modules[@]}"; do
    python3 -c "import $module" 2>/dev/null || need_pip+=("$module")
done
if [ ${#need_pip[@]} -gt 0 ]; then
    pip_names=("${need_pip[@]/faiss/faiss-cpu}")
    echo "stasis: installing Python packages: ${pip_names[*]}"
    python3 -m pip install -q "${pip_names[@]}"
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "stasis: add /opt/swift/usr/bin to PATH (the scripts do it for you)" >&2
    else
        echo "stasis: Swift 6 toolchain not found (expected /opt/swift/usr/bin/swift)" >&2
        exit 1
    fi
fi
