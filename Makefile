# Stasis build entry points. The README's two commands are `make demo` and `make test`.
PREFIX ?= /usr/local

.PHONY: all build demo test soak fuzz sanitize bench install wheel clean

all: build

## Build libstasis.so, the stasis CLI and the header into build/ (installs missing packages).
build:
	scripts/ensure-deps.sh
	scripts/build.sh

## Build, then run the main job (the quick starts in C and Python).
demo: build
	scripts/demo.sh

## Build, then run every test: Swift, C ABI, Python, CLI, examples, install.
test: build
	scripts/ensure-deps.sh --test
	scripts/test.sh

## Long robustness runs (opt-in, docs/reliability.md): crafted index files, the concurrency soak,
## the sanitizers and every fuzz harness (STASIS_FUZZ_SECONDS each, default 600).
soak: build
	scripts/soak.sh

## Every libFuzzer harness for FUZZ_SECONDS (default 60) each; 0 replays the seeds only.
fuzz: build
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

## The C tests and examples under ASan, LSan and UBSan.
sanitize: build
	scripts/sanitize.sh

## Benchmarks against the faiss-cpu wheel (installs it when missing). QUICK=1: scale rows at 100k only.
bench: build
	scripts/ensure-deps.sh --bench
	python3 benchmarks/encode.py
	python3 benchmarks/run.py
	python3 benchmarks/scale.py $(if $(QUICK),--quick)
	python3 benchmarks/evaluate.py

## Install header, library, CLI and pkg-config file under $(PREFIX).
install: build
	scripts/install.sh "$(PREFIX)"

## Build a pip-installable wheel of the Python binding with libstasis.so inside, into build/wheel/.
wheel: build
	scripts/wheel.sh

clean:
	rm -rf build .build
