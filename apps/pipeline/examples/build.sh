#!/bin/sh
# Rebuild the committed BPF objects of examples/ with Debian's clang-19
# (the .o files are committed so the examples run without a compiler).
set -e
cd "$(dirname "$0")"
for c in *.c; do clang-19 -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c "$c" -o "${c%.c}.o"; done
