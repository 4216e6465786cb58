#!/usr/bin/env bash
# Install the Debian packages that the benchmarks' peer sandboxes need
# (bench/peers.py): bubblewrap, crun, runsc (gVisor), lxc, uidmap, and
# gnuplot-nox for the plots. Only missing packages are installed, and
# `apt-get update` runs only when something is to be installed, so running
# it again on a ready machine changes nothing.
set -euo pipefail

PACKAGES=(bubblewrap crun runsc lxc uidmap gnuplot-nox)

usage() {
  cat <<EOF
Usage: $(basename "$0") [--help]

Install, with apt-get, the Debian packages the benchmarks need, if missing:
  ${PACKAGES[*]}
A package counts as present when dpkg-query reports it "install ok installed".
apt-get update runs only if something must be installed. Needs root (or sudo).

Exit status: 0 all packages present; non-zero if apt-get failed.
EOF
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  "") ;;
  *)
    echo "$(basename "$0"): unknown argument '$1' (try --help)" >&2
    exit 64
    ;;
esac

# installed PKG: true when dpkg knows PKG as fully installed.
installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ $status == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if installed "$pkg"; then
    echo "present: $pkg"
  else
    echo "missing: $pkg"
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "nothing to install"
  exit 0
fi

SUDO=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "$(basename "$0"): not root and no sudo: cannot install ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "+ apt-get update"
"${SUDO[@]}" apt-get update
echo "+ apt-get install -y --no-install-recommends ${missing[*]}"
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  if ! installed "$pkg"; then
    echo "$(basename "$0"): $pkg is still not installed" >&2
    exit 1
  fi
  echo "installed: $pkg"
done
