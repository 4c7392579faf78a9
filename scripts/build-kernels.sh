#!/bin/sh
# Builds paretune's wasm SIMD kernels (src/core/tensor/wasm-kernels/csrc) into the committed
# src/core/tensor/wasm-kernels/paretune-kernels.wasm where clang (with the wasm32 target) and wasm-ld exist, else
# keeps the committed file; then copies it next to the compiled JavaScript in dist/.
# `--check` rebuilds into a temporary file and fails when it differs from the committed one (the committed file is
# built by Debian 12's clang 14 and lld 14: apt-get install -y clang lld).
set -eu
cd "$(dirname "$0")/.."

dir=src/core/tensor/wasm-kernels
wasm="$dir/paretune-kernels.wasm"

compile() {
  clang --target=wasm32 -O3 -msimd128 -mbulk-memory -mmutable-globals -nostdlib -ffreestanding \
    -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all \
    -Wl,--export=__stack_pointer \
    -Wl,--export=pt_batch_matmul -Wl,--export=pt_batch_matmul_scratch_bytes -Wl,--export=pt_transpose \
    -Wl,--export=pt_gelu -Wl,--export=pt_gelu_grad \
    -Wl,--export=pt_layer_norm -Wl,--export=pt_layer_norm_grad_x -Wl,--export=pt_layer_norm_grad_w \
    -Wl,--export=pt_softmax_grad \
    -o "$1" "$dir"/csrc/*.c
}

have_toolchain() {
  command -v clang >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1
}

if [ "${1:-}" = "--check" ]; then
  if ! have_toolchain; then
    echo "build-kernels --check: clang and wasm-ld are needed (apt-get install -y clang lld)" >&2
    exit 1
  fi
  rebuilt="$(mktemp)"
  trap 'rm -f "$rebuilt"' EXIT
  compile "$rebuilt"
  if ! cmp -s "$rebuilt" "$wasm"; then
    echo "build-kernels --check: $wasm differs from a build of $dir/csrc ($(clang --version | head -n 1)); run npm run build and commit it" >&2
    exit 1
  fi
  echo "build-kernels --check: $wasm matches its sources"
  exit 0
fi

if have_toolchain; then
  compile "$wasm"
  chmod 644 "$wasm"
else
  echo "build-kernels: clang or wasm-ld not found; using the committed $wasm" >&2
fi
mkdir -p "dist/$dir"
cp "$wasm" "dist/$dir/"
