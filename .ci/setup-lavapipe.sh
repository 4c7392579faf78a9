#!/usr/bin/env bash
# A software Vulkan driver (Mesa's lavapipe) for machines without a GPU, so that the WebGPU backend can be tested.
# Dawn refuses Debian 12's own lavapipe (Mesa 22.3 lacks shaderUniformBufferArrayDynamicIndexing and friends); the
# Mesa of Debian 12's backports suite (25.0.x) works. The stock packages bring the Vulkan loader and the libraries
# lavapipe links against; the backports driver and libdrm are unpacked into DEST, using the mirror named in the
# machine's apt sources without changing those sources.
# Usage: setup-lavapipe.sh DEST   Prints one line to eval: the environment that points Vulkan at DEST's driver.
set -euo pipefail
dest=$(realpath -m "${1:?usage: setup-lavapipe.sh DEST}")
lib=$dest/root/usr/lib/x86_64-linux-gnu
export DEBIAN_FRONTEND=noninteractive

if ! dpkg -s libvulkan1 mesa-vulkan-drivers >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null
fi

if [ ! -f "$dest/lvp_icd.json" ]; then
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n 1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n 1 || true)
  if [ -z "$mirror" ]; then
    echo "setup-lavapipe: no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources" >&2
    exit 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$dest"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" >"$work/sources.list"
  # A private apt state: the backports index is read into $work only.
  apt_private=(-o APT::Sandbox::User=root -o Dir::Etc::SourceList="$work/sources.list"
    -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache")
  apt-get "${apt_private[@]}" update -qq
  (cd "$work" && apt-get "${apt_private[@]}" download -qq \
    mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports)
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest/root"; done
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' \
    "$lib/libvulkan_lvp.so" >"$dest/lvp_icd.json.tmp"
  mv "$dest/lvp_icd.json.tmp" "$dest/lvp_icd.json"
fi

# VK_DRIVER_FILES is the current loader's name, VK_ICD_FILENAMES the older one's.
echo "export VK_DRIVER_FILES=$dest/lvp_icd.json VK_ICD_FILENAMES=$dest/lvp_icd.json" \
  "LD_LIBRARY_PATH=$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}"
