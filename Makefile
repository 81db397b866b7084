# eventbarrier: the two commands a newcomer needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-unit demo bench soak fuzz fuzz-long clean format

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Unit, simulation and integration tests (integration tests start their own servers).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1200

demo: build
	@bash scripts/demo.sh $(BUILD)/eventbarrier

bench: build
	@bash scripts/bench.sh $(BUILD)

# A longer protocol simulation (20,000 seeds by default; SEEDS=N to change).
soak: build
	EB_SIM_SEEDS=$${SEEDS:-20000} $(BUILD)/tests/sim/simulation_test --gtest_filter='*Soak*'

# libFuzzer + ASan/UBSan on the decoder, the config parser and the S3 XML parsers
# (clang build in build-fuzz/). FUZZ_SECONDS per target, one target at a time.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# The 10-minute-per-target run recorded in docs/FUZZING.md (30 minutes on one core).
fuzz-long: deps
	bash scripts/fuzz.sh 600

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
