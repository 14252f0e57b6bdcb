# The two commands of the README: `make demo` and `make test`.
SWIFT ?= swift
DEMO_OUT ?= demo-out
BIN = .build/release/gradsieve

.PHONY: setup build release demo test bench clean

# Installs the system libraries (Debian) when they are missing.
setup:
	@if ! pkg-config --exists libuv 2>/dev/null; then \
		echo "installing libuv1-dev and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y libuv1-dev pkg-config; \
	fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job's built-in default: a generated pool scored by a coordinator and 2 local workers.
demo: release
	@if [ ! -f $(DEMO_OUT)/pool/samples.jsonl ]; then \
		$(BIN) generate --out $(DEMO_OUT)/pool --rows 20000 --dim 256 --dtype f16 --validation 64 --seed 1; \
	fi
	$(BIN) select --data $(DEMO_OUT)/pool --method gradalign --budget 1000 --workers 2 --out $(DEMO_OUT)/run --force
	@echo "top of the curriculum:"; head -n 5 $(DEMO_OUT)/run/epoch-0001/curriculum.jsonl

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The benchmark of docs/benchmarks.md (about 15 minutes and 12 GB of disk; prints a table).
bench: setup
	scripts/bench.sh

clean:
	rm -rf .build $(DEMO_OUT)
