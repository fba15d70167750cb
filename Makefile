# vigil build. `make run` installs what is missing, builds and starts vigil;
# `make test` builds with ASan+UBSan and runs every suite.
#
# Sources are discovered: every src/**/*.c except src/cli/main.c goes into
# libvigil.a; every tests/unit/test_*.c becomes one cmocka binary; every
# tests/fuzz/fuzz_*.c becomes one corpus-replay binary (and a libFuzzer binary
# with `make fuzz`).

B       ?= build
CC      ?= gcc
PKGS    := libzstd libxxhash zlib libsodium libpcre2-8 libcjson yaml-0.1 sqlite3 libmicrohttpd geoip libmaxminddb relp gnutls libcurl
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
           -Wstrict-prototypes -Wwrite-strings -Wpointer-arith -Wcast-align \
           -Wundef -Wvla -Wnull-dereference -Wimplicit-fallthrough
BASE    := -std=c11 -D_GNU_SOURCE -Isrc -g $(WARN)
LIBS    := -lzstd -lxxhash -lz -lsodium -lpcre2-8 -lcjson -lyaml -lsqlite3 -lmicrohttpd -lGeoIP -lmaxminddb -lrelp -lgnutls -lcurl -lpthread -lm

REL_CFLAGS := $(BASE) -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
              -fstack-clash-protection -fcf-protection
REL_LDFLAGS := -pie -Wl,-z,relro,-z,now
DBG_CFLAGS := $(BASE) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
DBG_LDFLAGS := -fsanitize=address,undefined

SRCS      := $(shell find src -name '*.c' ! -path src/cli/main.c | sort)
HDRS      := $(shell find src -name '*.h')
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

REL_OBJS := $(SRCS:%.c=$(B)/rel/%.o)
DBG_OBJS := $(SRCS:%.c=$(B)/dbg/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/dbg/tests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/dbg/fuzz/%)

.PHONY: all run test deps unit fuzz-replay e2e fuzz bench clean

all: $(B)/vigil

deps:
	@scripts/deps.sh

$(B)/rel/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(B)/dbg/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(DBG_CFLAGS) -c $< -o $@

$(B)/rel/libvigil.a: $(REL_OBJS)
	ar rcs $@ $^
$(B)/dbg/libvigil.a: $(DBG_OBJS)
	ar rcs $@ $^

$(B)/vigil: $(B)/rel/src/cli/main.o $(B)/rel/libvigil.a
	$(CC) $(REL_LDFLAGS) -o $@ $^ $(LIBS)
$(B)/dbg/vigil: $(B)/dbg/src/cli/main.o $(B)/dbg/libvigil.a
	$(CC) $(DBG_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/dbg/tests/%: tests/unit/%.c $(B)/dbg/libvigil.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(DBG_CFLAGS) -Itests/unit $(DBG_LDFLAGS) -o $@ $< $(B)/dbg/libvigil.a $(LIBS) -lcmocka

$(B)/dbg/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/dbg/libvigil.a $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(DBG_CFLAGS) $(DBG_LDFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/dbg/libvigil.a $(LIBS)

# The unit tests that cover the SIMD dispatches (src/util/simd.h) run a
# second time with VIGIL_TEST_NO_SIMD=1, so that their scalar loops, which
# this AVX-512 machine would never take, are tested too.
NOSIMD_BINS := $(addprefix $(B)/dbg/tests/,test_colenc test_exec_vec test_query test_store)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)
	@echo "again without SIMD (VIGIL_TEST_NO_SIMD=1):"
	@VIGIL_TEST_NO_SIMD=1 scripts/run-unit.sh $(NOSIMD_BINS)

fuzz-replay: $(FUZZ_BINS)
	@scripts/run-fuzz-replay.sh $(FUZZ_BINS)

e2e: $(B)/dbg/vigil $(B)/vigil
	@scripts/run-e2e.sh

test: deps
	@$(MAKE) --no-print-directory $(B)/vigil $(B)/dbg/vigil $(UNIT_BINS) $(FUZZ_BINS)
	@scripts/test-all.sh "$(UNIT_BINS)" "$(FUZZ_BINS)" "$(NOSIMD_BINS)"

# libFuzzer builds for real fuzzing sessions: build/fuzz/fuzz_X corpus_dir
fuzz:
	@LIBS="$(LIBS)" scripts/build-fuzzers.sh $(FUZZ_SRCS)

run: deps
	@$(MAKE) --no-print-directory $(B)/vigil
	@scripts/run.sh

bench: $(B)/vigil
	@bench/run-all.sh

clean:
	rm -rf $(B)
