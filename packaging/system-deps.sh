#!/usr/bin/env bash
# Installs the system packages Imageworks needs on Debian/Ubuntu when they are missing:
# ExifTool (metadata I/O) and the shared libraries Qt's xcb/offscreen platforms load.
set -euo pipefail

need=()
command -v exiftool >/dev/null 2>&1 || need+=(libimage-exiftool-perl)
# Qt 6 wheels bundle Qt itself but load these system libraries at run time.
for pkg in libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 \
           libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "This is not a Debian-like system: install ExifTool and Qt's runtime libraries yourself." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Need root or sudo to install: ${need[*]}" >&2; exit 1
  fi
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
