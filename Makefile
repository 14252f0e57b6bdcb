# The two commands of the README: `make demo` and `make test`.
SWIFT ?= swift
DEMO_OUT ?= demo-out
BIN = .build/release/gradsieve

.PHONY: setup build release demo demo-pool test fuzz-smoke bench bench-facility clean

# Installs the system libraries (Debian) when they are missing: libuv for the network layer,
# OpenBLAS for the built-in policy's matrix products.
setup:
	@if ! pkg-config --exists libuv openblas 2>/dev/null; then \
		echo "installing libuv1-dev, libopenblas-dev and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y libuv1-dev libopenblas-dev pkg-config; \
	fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job's built-in default: the built-in policy trained on gradalign's curricula by a
# coordinator and 2 local workers (signals computed live, GRPO data-parallel, test accuracy).
demo: release
	$(BIN) demo --out $(DEMO_OUT)

# A pool on disk, selected by select: the path large runs take.
demo-pool: release
	@if [ ! -f $(DEMO_OUT)/pool/samples.jsonl ]; then \
		$(BIN) generate --out $(DEMO_OUT)/pool --rows 20000 --dim 256 --dtype f16 --validation 64 --seed 1; \
	fi
	$(BIN) select --data $(DEMO_OUT)/pool --method gradalign --budget 1000 --workers 2 --out $(DEMO_OUT)/run --force
	@echo "top of the curriculum:"; head -n 5 $(DEMO_OUT)/run/epoch-0001/curriculum.jsonl

# The Python companion's optional dependencies, pinned: a CPU build of torch (never an unpinned
# torch, which pulls several GB of CUDA wheels) and the transformers/trl/peft it resolves with.
PYTHON_TEST_PINS = torch==2.13.0+cpu transformers==5.25.0 trl==1.16.0 peft==0.21.2 mypy==1.19.1 pytest

# Swift unit and multi-process tests, the deploy/ checks, a short fuzz run of every parser, and
# the Python companion's tests (including the ones that run the real binary, and a tiny Llama
# trained with TRL on CPU).
test: setup
	python3 scripts/check-imports.py
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	bash scripts/check-deploy.sh
	$(MAKE) fuzz-smoke
	python3 -m pip install --quiet './python[trl]' $(PYTHON_TEST_PINS)
	GRADSIEVE_BIN=$(CURDIR)/.build/debug/gradsieve HF_HUB_OFFLINE=1 python3 -m pytest python/tests -q

# Every parser's libFuzzer target for FUZZ_SECONDS each (docs/fuzzing.md): the wire codec,
# samples.jsonl, safetensors, the journal and the sealed-frame reader. Fails on the first
# crash, naming its input.
FUZZ_SECONDS ?= 15
FUZZ_TARGETS = wire samples safetensors journal sealed
fuzz-smoke:
	@for target in $(FUZZ_TARGETS); do \
		FUZZ_COVERAGE=0 bash scripts/fuzz.sh $$target $(FUZZ_SECONDS) || exit 1; \
	done

# The benchmark of docs/benchmarks.md (about 15 minutes and 12 GB of disk; prints a table).
bench: setup
	scripts/bench.sh

# Facility location against apricot on the same 20,000 x 1,024 candidates (docs/benchmarks.md;
# needs pip install apricot-select scikit-learn; a few minutes).
bench-facility: setup
	scripts/bench-facility.sh

clean:
	rm -rf .build .build-fuzz $(DEMO_OUT)
