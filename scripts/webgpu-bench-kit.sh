#!/usr/bin/env bash
# Packs `npm run bench:webgpu` into a self-contained folder (about 25 MB) for a machine without
# node_modules or network (e.g. a GPU machine reached through a file-carrying runner): the
# bench bundled by esbuild (tnc + tfjs inlined) plus the Linux x64 Dawn addon of the `webgpu`
# package. Needs Node 20+ there. Usage:
#   bash scripts/webgpu-bench-kit.sh [OUT_DIR]          # default tmp/webgpu-bench-kit
#   cd OUT_DIR && node bench-webgpu.mjs --quick          # --backend vulkan on NVIDIA/AMD
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-tmp/webgpu-bench-kit}"
rm -rf "$OUT"
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64"
npx esbuild bench/webgpu.ts --bundle --platform=node --format=esm --external:webgpu \
  --banner:js="import { createRequire as __tncCreateRequire } from 'node:module'; const require = __tncCreateRequire(import.meta.url);" \
  --log-level=warning --outfile="$OUT/bench-webgpu.mjs"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$OUT/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/* "$OUT/node_modules/webgpu/dist/linux-x64/"
du -sh "$OUT"
