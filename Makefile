# eventbarrier: the two commands a newcomer needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test test-unit demo bench soak chaos clean format

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

# The chaos test at full size (docs/CHAOS.md): 100 barriers through a fault-injecting
# proxy in front of a real Ceph RGW, workers killed with kill -9; then the same with
# the RGW restarted mid-way. CHAOS_SEED=N reproduces a run; CHAOS_ARGS adds options.
chaos: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target eventbarrier
	/usr/bin/python3 tests/chaos/chaos_run.py --eventbarrier $(BUILD)/eventbarrier \
	  --workdir $(BUILD)/chaos/full $(CHAOS_ARGS)
	/usr/bin/python3 tests/chaos/chaos_run.py --eventbarrier $(BUILD)/eventbarrier \
	  --workdir $(BUILD)/chaos/full-ceph-restart --restart-ceph $(CHAOS_ARGS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
