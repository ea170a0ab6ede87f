# Phantom: the commands a user and CI need. Every target installs missing Debian packages first.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
WORLD ?= world.img
FUZZ_SECONDS ?= 20
AARCH64_BUILD ?= build-aarch64
LEAN_BUILD ?= build-lean
# Extra CMake options of the aarch64 build, e.g. -DPHANTOM_LEAN=ON for a small one (docs/iot.md).
AARCH64_CMAKE_ARGS ?=

.PHONY: all deps build lean run test bench soak fuzz clean cross-aarch64 test-aarch64 soak-aarch64

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)

# The lean phantom for small devices (docs/iot.md): no windows, no WebAssembly, no compiler, built for
# size; its classes come from the full build.
lean: deps
	@cmake -S . -B $(LEAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHANTOM_LEAN=ON >/dev/null
	@cmake --build $(LEAN_BUILD)

# Boot the default world (created on first run: library self-tests, then the console shell) or resume it.
run: build
	./$(BUILD)/phantom run --world $(WORLD) --boot .ru.dz.phantom.system.boot --classpath $(BUILD)/classes

# Fuzz smoke run first, then the aarch64 subset under qemu, then every native test, among them worlds
# moving between the two builds; ctest's summary is the last thing printed. Every world in the native
# tests checks each incremental marking of its collector against a full one (src/vm/gc.cc).
test: build fuzz test-aarch64
	cd $(BUILD) && PHANTOM_GC_VERIFY=1 PHANTOM_REQUIRE_AARCH64=1 ctest --output-on-failure -j2

# Every fuzzer under ASan/UBSan for FUZZ_SECONDS each, one per core at a time, seeded with fresh valid
# worlds, class files and programs and the stored regressions. A unity build, like the aarch64 one: 16%
# less compiling (394 -> 331 s of CPU), and compile errors stay exact in the native build.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DPHANTOM_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
	@cmake --build $(FUZZ_BUILD) --target fuzz/all
	@rm -rf $(FUZZ_BUILD)/corpus && $(FUZZ_BUILD)/fuzz/make_fuzz_seeds $(FUZZ_BUILD)/corpus/image $(FUZZ_BUILD)/corpus/class $(FUZZ_BUILD)/corpus/vm
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build lean
	@cmake --build $(BUILD) --target bench/all
	./$(BUILD)/bench/phantom_bench
	./$(BUILD)/bench/vm_bench
	./$(BUILD)/bench/plc_bench
	./$(BUILD)/bench/world_bench
	./$(BUILD)/bench/commit_bench
	./$(BUILD)/bench/rt_bench
	./$(BUILD)/bench/ui_bench
	@if [ -x $(BUILD)/bench/wasm_bench ]; then ./$(BUILD)/bench/wasm_bench; else echo "wasm_bench skipped: no clang wasm32 target or wasi-libc" >&2; fi
	bench/net_http_rps.sh $(BUILD)/phantom $(BUILD)/classes
	bench/footprint.sh $(BUILD) $(LEAN_BUILD) $(if $(wildcard $(AARCH64_BUILD)/phantom),$(AARCH64_BUILD))

# Long crash runs: 2000 kills.
soak: build
	PHANTOM_KILLS=2000 ./$(BUILD)/tests/phantom_kill_test
	PHANTOM_SENSOR_KILLS=1000 ./$(BUILD)/tests/phantom_sensors_kill_test
	PHANTOM_COMMIT_KILLS=500 ./$(BUILD)/tests/phantom_output_commit_test

# Phantom for aarch64 (docs/iot.md): Debian's cross tool chain and arm64 libraries, through
# cmake/aarch64-linux-gnu.cmake. The classes are compiled by the native build's phantom (class files are
# the same on every architecture); the loadable back-ends (curl, VNC, SDL) are left out. A unity build
# (src/CMakeLists.txt, at the end): the subset of `make test` builds in about 3 minutes instead of 6.
define aarch64_configure
	@scripts/install-deps.sh --aarch64
	@cmake -S . -B $(AARCH64_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/aarch64-linux-gnu.cmake -DPHANTOM_NATIVE_BUILD=$(CURDIR)/$(BUILD) \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 $(AARCH64_CMAKE_ARGS) >/dev/null
endef
cross-aarch64: build
	$(aarch64_configure)
	@cmake --build $(AARCH64_BUILD)

# The aarch64 build's tests under qemu-aarch64: a subset short enough for `make test` (docs/iot.md),
# and only the binaries it needs.
AARCH64_QUICK = ^(Store|Heap|Vm|PageTable|BlockAllocator|Cleaner|Fsck|PowerLoss|EventLog|ImageFormat|ClassFile|Assembler|Quicken|Programs|SensorsKillTest)
AARCH64_QUICK_TARGETS = phantom phantom_unit_tests phantom_programs_test phantom_sensors_kill_test
test-aarch64: build
	$(aarch64_configure)
	@cmake --build $(AARCH64_BUILD) --target $(AARCH64_QUICK_TARGETS)
	cd $(AARCH64_BUILD) && PHANTOM_SENSOR_KILLS=10 ctest --output-on-failure -j2 -R '$(AARCH64_QUICK)'

# Every test of the aarch64 build, with the usual kill counts.
soak-aarch64: cross-aarch64
	cd $(AARCH64_BUILD) && ctest --output-on-failure -j2

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(AARCH64_BUILD) $(LEAN_BUILD)
