#!/bin/sh
# Build the clang-compiled corpus programs (own code, MIT). Needs clang-19 and
# libbpf-dev headers. The .o files are committed; rerun after editing a .c.
set -e
cd "$(dirname "$0")"
for f in *.c; do
  clang-19 -O2 -g0 -target bpf -I/usr/include/$(uname -m)-linux-gnu -c "$f" -o "${f%.c}.o"
done
