#!/usr/bin/env bash
# Builds a Debian 12 (bookworm) root filesystem tarball that boots systemd as PID 1 in a
# container, with mmdebstrap from the machine's Debian mirror, into a cache:
#
#   tests/images/debian12.sh [OUT]   builds (unless already there) and prints the path
#   tests/images/debian12.sh --path  prints the path the image has (or would have)
#
# The default path is /var/cache/cordon-tests/debian12-HASH.tar.zst, HASH being derived
# from this script's content and its package list: an unchanged script finds its tarball
# and builds nothing, a changed one builds a new one. OUT, when given, is the tarball's
# path (or a directory to put debian12-HASH.tar.zst in). The tarball is built under a
# temporary name and renamed when complete, so a failed or interrupted build leaves no
# tarball behind. Needs root (mmdebstrap's root mode) and the mirror.
#
# Exit status: 0 built or already there; 69 the mirror cannot be reached (nothing else
# was tried); 1 the build failed (the end of its log is printed on stderr); 64 a bad
# option; 77 not root; 130/143 interrupted (SIGINT/SIGTERM), leaving nothing.
# docs/images.md ("A Debian 12 image for tests") says what is in the image and why.
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
# Nothing big: no kernel, no Recommends. systemd-sysv makes systemd /sbin/init.
PACKAGES="systemd,systemd-sysv,dbus"
# Fixed, so that two builds from the same mirror content give the same files and mtimes.
export SOURCE_DATE_EPOCH=1735689600 # 2025-01-01T00:00:00Z
SOURCES=/etc/apt/sources.list.d/debian.sources
CACHE_DIR=${CORDON_TEST_CACHE:-/var/cache/cordon-tests}

self="${BASH_SOURCE[0]}"
hash=$({ cat "$self"; echo "packages=$PACKAGES"; } | sha256sum | cut -c1-16)
name="debian12-$hash.tar.zst"

out="$CACHE_DIR/$name"
print_only=0
case "${1:-}" in
  --path) print_only=1 ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$self"; exit 0 ;;
  -*) echo "debian12.sh: unknown option '$1' (allowed: --path, --help, or an output path)" >&2; exit 64 ;;
  "") ;;
  *) if [ -d "$1" ]; then out="$1/$name"; else out="$1"; fi ;;
esac
if [ "$print_only" = 1 ] || [ -s "$out" ]; then
  echo "$out"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "debian12.sh: needs root (mmdebstrap builds the image in root mode)" >&2
  exit 77
fi
command -v mmdebstrap >/dev/null || {
  echo "debian12.sh: mmdebstrap is not installed (scripts/setup.sh installs it)" >&2
  exit 1
}

# The machine's mirrors: the URIs of its Debian sources (deb.debian.org unless the machine
# names another), for bookworm, bookworm-updates and bookworm-security.
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
if [ -r "$SOURCES" ]; then
  while read -r key uri _; do
    [ "$key" = "URIs:" ] || continue
    case "$uri" in
      *-security | *-security/) security=${uri%/} ;;
      *) mirror=${uri%/} ;;
    esac
  done <"$SOURCES"
fi

# Unreachable mirror: say so and exit 69, so that setup can go on without the image.
if ! python3 - "$mirror/dists/$SUITE/InRelease" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=20)
PY
  echo "debian12.sh: the Debian mirror $mirror cannot be reached (no $SUITE/InRelease); the Debian 12 image is not built" >&2
  exit 69
fi

out_dir=$(dirname "$out")
mkdir -p "$out_dir"
# One build at a time in the folder (flock on the folder itself, so no lock file is left):
# a second caller waits, then finds the tarball. Holding it, remove what a killed build of
# this tarball left (SIGKILL skips the cleanup below).
exec 9<"$out_dir"
flock 9
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
rm -f "$out_dir/.debian12-$hash".*

tmp="$out_dir/.debian12-$hash.$$.tar.zst"
log="$out_dir/.debian12-$hash.$$.log"
list="$out_dir/.debian12-$hash.$$.sources" # a file named *.sources: read as deb822
cleanup() { rm -f "$tmp" "$log" "$list"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$list" <<SOURCES
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

start=$(date +%s)
echo "debian12.sh: building $out from $mirror (mmdebstrap $SUITE $VARIANT + $PACKAGES)" >&2
# Container tweaks, in customize hooks (docs/images.md says why each):
# - /etc/hostname and /etc/hosts of the image's own, not the build machine's;
#   no /etc/resolv.conf (the runtime provides one);
# - getty@tty1 not enabled: a container has no virtual consoles (/dev/tty1-6);
# - /etc/machine-id empty (first boot makes one), no /var/lib/dbus/machine-id;
# - root has no password (locked: '*'), as in Incus and LXC images;
# - the apt sources as debian.sources; no backup files (/etc/*-), nothing in /run.
# The tar stream loses what /dev holds (device nodes, which an image may not carry: the
# runtime makes /dev), then is compressed.
if ! mmdebstrap --quiet --mode=root --variant="$VARIANT" --include="$PACKAGES" \
  --aptopt='APT::Install-Recommends "false"' --aptopt='APT::Install-Suggests "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --customize-hook='echo debian12 >"$1/etc/hostname"' \
  --customize-hook='printf "127.0.0.1\tlocalhost\n127.0.1.1\tdebian12\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" >"$1/etc/hosts"' \
  --customize-hook='rm -f "$1/etc/resolv.conf"' \
  --customize-hook='chroot "$1" systemctl disable getty@.service' \
  --customize-hook='rm -f "$1/var/lib/dbus/machine-id"; : >"$1/etc/machine-id"' \
  --customize-hook='chroot "$1" usermod --password "*" root' \
  --customize-hook='cd "$1/etc/apt/sources.list.d" && for f in *.sources; do mv "$f" debian.sources; done' \
  --customize-hook='rm -f "$1"/etc/*-; rm -rf "$1"/run/*' \
  --format=tar "$SUITE" - "$list" 2>"$log" |
  tar --wildcards --delete './dev/?*' 2>>"$log" | zstd -q -T2 >"$tmp" 2>>"$log"; then
  echo "debian12.sh: mmdebstrap failed building the Debian 12 image; its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
mv -f "$tmp" "$out"
echo "debian12.sh: built $out ($(stat -c %s "$out") bytes) in $(($(date +%s) - start)) s" >&2
echo "$out"
