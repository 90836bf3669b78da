#!/usr/bin/env bash
# Installs the Debian packages the WebGPU tests need: Mesa's EGL/GLES stack (the `webgpu`
# npm package runs Dawn's OpenGL ES backend on llvmpipe through it) and Debian's chromium
# (headless, driven by playwright-core for the browser test; its SwiftShader adapter is
# built in). Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail

PACKAGES=(libegl1 libegl-mesa0 libgles2 libgbm1 chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-webgpu-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "install-webgpu-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-webgpu-deps: done"
