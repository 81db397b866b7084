# eventbarrier: the two commands a newcomer needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-unit demo bench soak chaos fuzz fuzz-long clean format format-check package bench-lambda

all: build

deps:
	@EB_ARCH=$(ARCH) bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Unit, simulation and integration tests (integration tests start their own servers), the
# layer check (tests/layers_test.py) and the format check (format_check, as make format-check).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1200

# The fast loop: every test that starts no outside server (no Ceph RGW, moto, Lambda zip,
# chaos or deployment tools): unit tests, the simulation, in-process HTTP, the checks.
UNIT_EXCLUDE := integration|aws|lambda|chaos|deploy|e2e
test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1200 -LE '$(UNIT_EXCLUDE)'

demo: build
	@bash scripts/demo.sh $(BUILD)/eventbarrier

# Every benchmark (docs/PERFORMANCE.md), then the Lambda cold start (a Release build).
# BENCH_QUICK=1: small runs of the issue-13 benches (history, concurrency, Ceph at scale).
bench: build
	@bash scripts/bench.sh $(BUILD)
	@$(MAKE) --no-print-directory bench-lambda

# A longer protocol simulation (20,000 seeds and 2 x 50 long histories by default; SEEDS=N,
# HISTORIES=N to change).
soak: build
	EB_SIM_SEEDS=$${SEEDS:-20000} EB_SIM_HISTORIES=$${HISTORIES:-50} $(BUILD)/tests/sim/simulation_test --gtest_filter='*Soak*'

# The AWS Lambda zip (docs/LAMBDA.md): a Release build whose binary IS `bootstrap`, every
# shared library plus the build machine's loader and glibc in lib/ (found through
# DT_RPATH $$ORIGIN/lib), CONFIG validated by the packaged binary and bundled as
# eventbarrier.json. scripts/check-lambda-package.sh checks the rule; a broken rule or an
# invalid CONFIG fails. On an arm64 machine the same command builds the arm64 zip; on x86_64,
# `make package ARCH=arm64` cross-builds it (cmake/aarch64-linux-gnu.cmake: Debian's cross
# toolchain and arm64 multiarch libraries, `make deps ARCH=arm64`; checked under qemu-user).
CONFIG ?= examples/barriers.json
HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
override ARCH := $(patsubst arm64,aarch64,$(ARCH))
ifeq ($(ARCH),$(HOST_ARCH))
RELEASE_BUILD ?= build-release
CROSS_FLAGS :=
else
RELEASE_BUILD ?= build-release-$(ARCH)
CROSS_FLAGS := -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/$(ARCH)-linux-gnu.cmake -DEB_BUILD_BENCH=OFF
endif
LAMBDA_ZIP := dist/eventbarrier-lambda-$(ARCH).zip

# -Os, not CMake's Release -O3: the zip's size is a target (<= 4 MB, docs/LAMBDA.md) and the
# function is I/O-bound; -O3 also warns falsely inside libstdc++ (-Wrestrict, GCC bug 105329),
# which -Werror turns into a failure. Function and data sections let the link drop what
# nothing uses (eb_lean_binary links with --gc-sections). (The arm64 test in make test builds
# with PACKAGE_CXXFLAGS="-O0 -DNDEBUG": the same code, compiled in half the time.)
PACKAGE_CXXFLAGS ?= -Os -DNDEBUG -ffunction-sections -fdata-sections
package: deps
	cmake -S . -B $(RELEASE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DEB_BUILD_TESTS=OFF \
	  -DCMAKE_CXX_FLAGS_RELEASE="$(PACKAGE_CXXFLAGS)" $(CROSS_FLAGS)
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target eventbarrier
	bash scripts/package-lambda.sh --binary $(RELEASE_BUILD)/eventbarrier --config $(CONFIG) --out $(LAMBDA_ZIP)

# Cold start: the packaged bootstrap next to a hello-world runtime built and packaged the same
# way, and the floor: a static raw-socket runtime (bench/lambda_floor.cc), zipped as it is.
# PREVIOUS_ZIP=path/to/an-earlier-eventbarrier.zip runs in the same alternation (before/after).
bench-lambda: package
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target lambda_hello lambda_floor lambda_coldstart
	bash scripts/package-lambda.sh --binary $(RELEASE_BUILD)/bench/lambda_hello --no-config \
	  --out $(RELEASE_BUILD)/hello-lambda-$(ARCH).zip
	rm -rf $(RELEASE_BUILD)/floor-stage $(RELEASE_BUILD)/floor-lambda-$(ARCH).zip
	mkdir -p $(RELEASE_BUILD)/floor-stage
	strip -o $(RELEASE_BUILD)/floor-stage/bootstrap $(RELEASE_BUILD)/bench/lambda_floor
	cd $(RELEASE_BUILD)/floor-stage && zip -q ../floor-lambda-$(ARCH).zip bootstrap
	$(RELEASE_BUILD)/bench/lambda_coldstart $(LAMBDA_ZIP) $(RELEASE_BUILD)/hello-lambda-$(ARCH).zip \
	  $(RELEASE_BUILD)/floor-lambda-$(ARCH).zip $${RUNS:-30} $(PREVIOUS_ZIP)

# The chaos test at full size (docs/CHAOS.md): 100 barriers through a fault-injecting
# proxy in front of a real Ceph RGW, workers killed with kill -9; then the same with
# the RGW restarted mid-way. CHAOS_SEED=N reproduces a run; CHAOS_ARGS adds options.
chaos: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target eventbarrier
	/usr/bin/python3 tests/chaos/chaos_run.py --eventbarrier $(BUILD)/eventbarrier \
	  --workdir $(BUILD)/chaos/full $(CHAOS_ARGS)
	/usr/bin/python3 tests/chaos/chaos_run.py --eventbarrier $(BUILD)/eventbarrier \
	  --workdir $(BUILD)/chaos/full-ceph-restart --restart-ceph $(CHAOS_ARGS)

# libFuzzer + ASan/UBSan on the decoder, the config parser and the S3 XML parsers
# (clang build in build-fuzz/). FUZZ_SECONDS per target, one target at a time.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# The 10-minute-per-target run recorded in docs/FUZZING.md (30 minutes on one core).
fuzz-long: deps
	bash scripts/fuzz.sh 600

# clang-format (.clang-format) on the lines changed since $(FORMAT_BASE), not on whole files:
# others edit the same files, and files written before the check are formatted as they change.
FORMAT_BASE ?= main
format:
	git clang-format $(FORMAT_BASE) -- src tests bench fuzz

# Every C++ file not in scripts/format-pending.txt must come out of clang-format unchanged.
format-check:
	@bash scripts/format-check.sh

clean:
	rm -rf $(BUILD) $(RELEASE_BUILD) dist
