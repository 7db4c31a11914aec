#!/usr/bin/env bash
# Builds the libFuzzer target for the SMTP parsers with clang++-16 (ASan + UBSan) and runs it
# for a bounded number of inputs over a copy of the corpus. Usage: run_libfuzzer.sh SRC OUT RUNS
#
# Why clang 16 and a redefined __cpp_concepts: libstdc++ 12 only declares std::expected (our
# Result<T>) when __cpp_concepts >= 202002. Clang 16 implements what <expected> needs
# (conditionally trivial special members, P0848) but still reports 201907; clang 14 does not
# implement it, so Debian's default clang cannot build Tern's code.
set -euo pipefail
src=${1:?source dir}; out=${2:?output dir}; runs=${3:-20000}
cxx=${CLANGXX:-clang++-16}
mkdir -p "$out/corpus"
"$cxx" -std=c++2b -Wno-macro-redefined -D__cpp_concepts=202002L -O1 -g \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I "$src" \
  "$src/tests/fuzz/fuzz_smtp_parsers.cpp" "$src/tests/fuzz/smtp_parsers.cpp" \
  "$src/common/smtp/address.cpp" "$src/common/smtp/command.cpp" "$src/common/smtp/body.cpp" \
  "$src/common/smtp/reply.cpp" "$src/common/result.cpp" "$src/common/check.cpp" \
  -o "$out/fuzz_smtp_parsers"
cp "$src"/tests/fuzz/corpus/smtp/* "$out/corpus/"
cd "$out"
exec ./fuzz_smtp_parsers corpus -runs="$runs" -max_len=4096 -seed=1 -print_final_stats=1
