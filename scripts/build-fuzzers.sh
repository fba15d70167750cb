#!/usr/bin/env bash
# `make fuzz`: build every tests/fuzz/fuzz_*.c as a libFuzzer binary in
# build/fuzz/, with ASan+UBSan. Run one on a scratch copy of its corpus, so
# the inputs libFuzzer finds do not land in the tree:
#   cp -r tests/fuzz/corpus/vpcflow /tmp/c && build/fuzz/fuzz_vpcflow /tmp/c -max_total_time=300
set -euo pipefail
cd "$(dirname "$0")/.."
# The libraries, from the Makefile (the harnesses link the whole library).
: "${LIBS:?run through make fuzz}"
mkdir -p build/fuzz
srcs=$(find src -name '*.c' ! -path src/cli/main.c | sort)
for f in "$@"; do
	name=$(basename "$f" .c)
	echo "building build/fuzz/$name"
	clang -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
		"$f" $srcs -o "build/fuzz/$name" $LIBS
done
