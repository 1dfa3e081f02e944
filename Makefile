# mkdistro: build the tool, its tests and benchmarks.
#   make            build ./mkdistro
#   make run        install host packages, build the tool and the system, boot it
#   make check      every test: unit (with ASan/UBSan), end to end, a real build and boot
#   make check-slow the slow end-to-end tests: kernels of their own (your tree,
#                   modules); with MKDISTRO_E2E_WORK=DIR they reuse make
#                   check's built system there
#   make bench      timings and sizes of a cold build and a boot
#   make check-arches  build and boot every architecture, print a table
#   make fuzz       build the libFuzzer targets (clang) and fuzz each for
#                   FUZZ_SECONDS (default 60) seconds
#   ARCH=NAME (on the command line: make run ARCH=aarch64) targets another
#   architecture; its cross compiler and QEMU are installed first.

CC      ?= cc
PKGS    := libcurl libarchive inih libcrypto libelf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
VERSION := 0.1.0

WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DMKDISTRO_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm

SRC     := $(wildcard src/*.c)
# The default guest test suite is compiled in: obj/guest_suite.c is made
# from tests/guest/*.sh (the directory is a prerequisite so that a removed
# script counts too).
GUEST   := $(sort $(wildcard tests/guest/*.sh))
OBJ     := $(SRC:src/%.c=obj/%.o) obj/guest_suite.o
LIBOBJ  := $(filter-out obj/main.o,$(OBJ))
HDR     := $(wildcard src/*.h)

SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANOBJ  := $(filter-out obj-san/main.o,$(SRC:src/%.c=obj-san/%.o)) obj-san/guest_suite.o
UNIT    := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNIT:tests/unit/%.c=obj-san/%)

# Fuzz targets (tests/fuzz/fuzz_NAME.c): libFuzzer with ASan/UBSan, linked
# with the project's objects compiled by clang into obj-fuzz/ (the linker
# takes only the modules a target needs from obj-fuzz/libmkdistro.a). Each
# target's seed corpus is tests/fuzz/corpus/NAME (committed); what a run
# finds goes to $(FUZZ_SCRATCH)/NAME, crashes to $(FUZZ_SCRATCH)/crashes.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SCRATCH ?= tests/fuzz/scratch
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZBIN      := $(FUZZ_NAMES:%=obj-fuzz/fuzz_%)
FUZZOBJ      := $(filter-out obj-fuzz/main.o,$(SRC:src/%.c=obj-fuzz/%.o)) obj-fuzz/guest_suite.o

# Only from the command line: an ARCH in the environment is usually the
# kernel's (arm64), not one of mkdistro's names.
ifeq ($(origin ARCH),command line)
ARCH_OPT := --arch $(ARCH)
endif
# The second architecture make check builds and boots (beside x86_64).
CHECK_ARCH ?= aarch64

.PHONY: all run check check-slow check-unit check-fuzz check-arches bench clean setup fuzz fuzz-build fuzz-merge
.SECONDARY: $(SANOBJ) $(FUZZOBJ)

all: mkdistro

mkdistro: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LDLIBS)

obj/%.o: src/%.c $(HDR) | obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

obj obj-san obj-fuzz:
	mkdir -p $@

obj-san/%.o: src/%.c $(HDR) | obj-san
	$(CC) $(ALL_CFLAGS) -Werror $(SAN) -c -o $@ $<

obj/guest_suite.c: $(GUEST) tests/guest scripts/embed-guest-tests.sh | obj
	sh scripts/embed-guest-tests.sh $(GUEST) > $@.tmp && mv $@.tmp $@

obj/guest_suite.o: obj/guest_suite.c $(HDR)
	$(CC) $(ALL_CFLAGS) -Isrc -c -o $@ $<

obj-san/guest_suite.o: obj/guest_suite.c $(HDR) | obj-san
	$(CC) $(ALL_CFLAGS) -Werror $(SAN) -Isrc -c -o $@ $<

obj-san/test_%: tests/unit/test_%.c $(SANOBJ) $(HDR) $(wildcard tests/unit/*.h)
	$(CC) $(ALL_CFLAGS) -Werror $(SAN) -Isrc -o $@ $< $(SANOBJ) $(LDLIBS) -lcmocka

obj-fuzz/%.o: src/%.c $(HDR) | obj-fuzz
	$(FUZZ_CC) $(ALL_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

obj-fuzz/guest_suite.o: obj/guest_suite.c $(HDR) | obj-fuzz
	$(FUZZ_CC) $(ALL_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Isrc -c -o $@ $<

obj-fuzz/libmkdistro.a: $(FUZZOBJ)
	rm -f $@ && ar rcs $@ $(FUZZOBJ)

obj-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h obj-fuzz/libmkdistro.a $(HDR)
	$(FUZZ_CC) $(ALL_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $< \
		obj-fuzz/libmkdistro.a $(LDLIBS)

fuzz-build: $(FUZZBIN)

# Each target for FUZZ_SECONDS, one after another with one worker (a
# single core); a crash stops it (see tests/fuzz/fuzz.sh).
fuzz: $(FUZZBIN)
	@sh tests/fuzz/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_SCRATCH) $(FUZZ_NAMES)

# Keep what fuzzing found: the inputs of $(FUZZ_SCRATCH)/NAME that add
# coverage are copied into the committed corpus tests/fuzz/corpus/NAME
# (review them, then commit).
fuzz-merge: $(FUZZBIN)
	@for t in $(FUZZ_NAMES); do \
		[ -d $(FUZZ_SCRATCH)/$$t ] || continue; \
		printf 'fuzz %s: ' $$t; \
		obj-fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t $(FUZZ_SCRATCH)/$$t 2>&1 | \
			sed -n 's/^MERGE-OUTER: \([0-9]*\) new files.*/\1 inputs added to tests\/fuzz\/corpus\/'$$t'/p'; \
	done

# The committed corpora only, no new fuzzing: the harnesses still build
# and every seed still passes.
check-fuzz: $(FUZZBIN)
	@sh tests/run.sh fuzz

setup:
	@sh scripts/setup.sh

# The whole main job: host packages, the tool, the system, a boot to a shell.
run: setup
	@$(MAKE) --no-print-directory mkdistro
	@sh scripts/setup.sh $$(./mkdistro packages $(ARCH_OPT))
	./mkdistro run $(ARCH_OPT)

check: setup
	@$(MAKE) --no-print-directory mkdistro $(UNITBIN) $(FUZZBIN)
	@sh scripts/setup.sh $$(./mkdistro packages --arch $(CHECK_ARCH))
	@MKDISTRO_CHECK_ARCH=$(CHECK_ARCH) sh tests/run.sh

check-slow: setup
	@$(MAKE) --no-print-directory mkdistro
	@sh tests/run.sh slow

# Every architecture: build, boot, guest tests; a table at the end.
check-arches: setup
	@$(MAKE) --no-print-directory mkdistro
	@sh scripts/setup.sh $$(./mkdistro packages --arch all)
	@sh tests/arches.sh $(ARCHES)

check-unit: $(UNITBIN)
	@sh tests/run.sh unit

bench: setup
	@$(MAKE) --no-print-directory mkdistro
	@sh tests/bench.sh

clean:
	rm -rf obj obj-san obj-fuzz mkdistro
