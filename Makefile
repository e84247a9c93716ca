# Sluice — two commands do everything on a fresh Debian/Ubuntu machine:
#   make demo   builds Sluice and runs the demo job on data it makes itself
#   make test   builds and runs every test (Swift tests, then cross-checks against the Python reference tools)
SWIFT ?= swift
RELEASE_BIN := .build/release/sluice
# The Swift runtime is linked into the release binary, so that `make dist` can ship it to
# machines without a Swift toolchain (scripts/dist/make-dist).
RELEASE := -c release --static-swift-stdlib
PREFIX ?= /usr/local

.PHONY: all bootstrap build demo test test-swift test-crosscheck test-dist dist install bench fixtures format clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build $(RELEASE) --product sluice

demo: build
	$(RELEASE_BIN) demo

test: bootstrap format test-swift test-crosscheck test-dist

# Lints every Swift file with swift-format (the toolchain's, configured by .swift-format);
# any finding fails. `swift format format -i -r Sources Tests Package.swift` fixes most.
format:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

# The crash-safety, bad-input and fuzz tests drive the real binaries, so they are built first.
# A throwaway PostgreSQL server and a one-node SLURM with its accounting (slurmdbd, MariaDB) run
# for the tests' duration (the ledger conformance suite, the workers, the job arrays, sacct).
# Each target may import only what the manifest says it depends on.
IMPORT_CHECK := --explicit-target-dependency-import-check error
test-swift:
	$(SWIFT) build $(IMPORT_CHECK) --product sluice
	$(SWIFT) build $(IMPORT_CHECK) --product sluice-fuzz
	SLURM_ACCOUNTING=1 scripts/services/slurm.sh run scripts/services/postgres.sh run $(SWIFT) test $(IMPORT_CHECK) --disable-xctest

# Cross-checks that need the reference tools (anndata, pyarrow, …) in a venv the script creates.
test-crosscheck: build
	scripts/crosscheck/run-all

# The release tarball: bin/sluice with the Swift runtime inside and the C libraries beside it
# (lib/, relative RPATH), man pages, completions, an Apptainer definition, a modules file.
dist: build
	scripts/dist/make-dist $(RELEASE_BIN)

# Installs the tarball's contents under PREFIX (bin/, lib/, share/).
install: dist
	mkdir -p "$(PREFIX)"
	tar -C "$(PREFIX)" --strip-components=1 -xzf dist/sluice-$$($(RELEASE_BIN) --version | cut -d' ' -f1)-linux-x86_64.tar.gz

# The tarball runs in a root that holds glibc and nothing else of this machine.
test-dist: dist
	scripts/dist/check dist/sluice-$$($(RELEASE_BIN) --version | cut -d' ' -f1)-linux-x86_64.tar.gz

bench: build
	scripts/bench/read_vs_anndata.sh
	scripts/bench/parquet_vs_pyarrow.sh
	scripts/bench/corpus_vs_python.sh
	scripts/bench/engine_pipelining.sh
	scripts/bench/analysis_vs_python.sh

# Regenerates the committed test fixtures (needs the venv; run after changing the script).
fixtures:
	"$$(scripts/python-env)" scripts/fixtures/make_fixtures.py Tests/Fixtures

clean:
	rm -rf .build dist
