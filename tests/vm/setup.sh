#!/usr/bin/env bash
# Prepares the host for the VM tests (tests/vm/run.sh) and prints the path of the guest
# kernel on stdout (everything else goes to stderr). Idempotent and cheap when nothing is
# missing: it asks dpkg and the local apt lists, and reaches the network only to install
# a missing package or to fetch a kernel version that is not cached yet.
#
# The guest kernel is Debian's cloud kernel (cgroup v2, user namespaces, virtio, small).
# It is fetched with `apt-get download` and unpacked with `dpkg-deb -x`, never installed:
# installing it would run boot hooks (initramfs-tools, grub) for a boot that never
# happens on this host. It is cached outside the work tree, keyed by package and version,
# so that fresh clones on the same machine reuse it.
#
# Exit status: 0 ready; 77 the host cannot be made ready (no apt, not root, no network):
# run.sh passes that on, and CTest marks the test skipped.
#
# Environment: CORDON_VM_CACHE (default /var/cache/cordon-vm), CORDON_VM_KERNEL (a
# bzImage to use instead: skips the kernel part).
set -euo pipefail

CACHE=${CORDON_VM_CACHE:-/var/cache/cordon-vm}
META=linux-image-cloud-amd64
# qemu-system-x86: the VMM (TCG, no KVM needed); busybox-static: the guest's userland;
# cpio: packs the initramfs; file: tells that a binary is static (the guest has no libs);
# binutils: strip, to keep the initramfs small.
PACKAGES=(qemu-system-x86 busybox-static cpio file binutils)

log() { echo "vm-setup: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }
have_apt() { command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; }

apt_updated=0
apt_update() {
  [ "$apt_updated" -eq 1 ] && return 0
  log "apt-get update"
  apt-get update -qq >&2 || return 1
  apt_updated=1
}

# 1. Host packages: only touch apt when something is missing.
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  have_apt || skip "missing ${missing[*]}, and cannot apt-get install (no apt or not root)"
  apt_update || skip "apt-get update failed; cannot install ${missing[*]}"
  log "installing ${missing[*]}"
  # No recommends: qemu would pull in a GUI, OVMF and block drivers it does not need here.
  out=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >"$out" 2>&1 || { tail -n 20 "$out" >&2; rm -f "$out"; skip "apt-get install ${missing[*]} failed"; }
  rm -f "$out"
fi

# 2. The guest kernel.
if [ -n "${CORDON_VM_KERNEL:-}" ]; then
  [ -r "$CORDON_VM_KERNEL" ] || skip "CORDON_VM_KERNEL=$CORDON_VM_KERNEL is not readable"
  echo "$CORDON_VM_KERNEL"
  exit 0
fi

# The metapackage depends on the real image package at an exact version, e.g.
# "Depends: linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)": one apt-cache call (each
# costs most of a second here: Debian's images keep no apt binary cache) gives both.
resolve() {
  apt-cache show --no-all-versions "$META" 2>/dev/null |
    sed -n 's/^Depends:.*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -n 1
}
newest_cached() {
  find "$CACHE" -mindepth 2 -maxdepth 2 -name vmlinuz 2>/dev/null | sort -V | tail -n 1
}

# apt-cache's answer changes only when the lists do: remember it, next to the kernels.
memo=$CACHE/.resolved
found=""
if [ -s "$memo" ] && [ "$memo" -nt /var/lib/apt/lists ]; then
  found=$(cat "$memo")
elif command -v apt-cache >/dev/null; then
  found=$(resolve)
fi
if [ -z "$found" ]; then
  # No apt lists yet (a fresh machine before `apt-get update`), or no apt at all: a kernel
  # cached earlier is as good; otherwise refresh the lists once.
  cached=$(newest_cached)
  if [ -n "$cached" ]; then
    log "apt does not resolve $META; using cached $cached"
    echo "$cached"
    exit 0
  fi
  have_apt || skip "no kernel in $CACHE and no apt to fetch $META"
  apt_update || skip "apt-get update failed and no kernel in $CACHE"
  found=$(resolve)
  [ -n "$found" ] || skip "apt cannot resolve $META to a linux-image package and version"
fi

# Downloads and unpacks package $1 at version $2 into folder $3, under the cache's lock.
fetch() {
  local pkg=$1 ver=$2 dir=$3 tmp kernel
  [ -f "$dir/vmlinuz" ] && return 0   # another clone fetched it while we waited
  tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
  log "downloading $pkg $ver into $CACHE"
  # apt's download sandbox user cannot write a root-only folder; let it, to avoid a warning.
  chown _apt "$tmp" 2>/dev/null || true
  if ! (cd "$tmp" && apt-get download -qq "$pkg=$ver" >&2); then
    rm -rf "$tmp"
    return 1
  fi
  mkdir "$tmp/root"
  dpkg-deb -x "$tmp"/*.deb "$tmp/root"
  kernel=$(find "$tmp/root/boot" -name 'vmlinuz-*' | head -n 1)
  [ -n "$kernel" ] || { log "no vmlinuz in $pkg"; rm -rf "$tmp"; return 1; }
  # Keep the whole tree: lib/modules is there for guests that need a module.
  ln -s "root/boot/$(basename "$kernel")" "$tmp/vmlinuz"
  rm -f "$tmp"/*.deb
  chown root:root "$tmp"
  chmod 755 "$tmp"
  mv "$tmp" "$dir"   # atomic: a half-unpacked kernel is never seen as cached
}

read -r pkg ver <<<"$found"
dir="$CACHE/${pkg}_${ver//:/%}"   # an epoch's ':' is not welcome in paths
if [ ! -f "$dir/vmlinuz" ]; then
  have_apt || skip "no cached $pkg $ver and cannot apt-get download (not root?)"
  mkdir -p "$CACHE"
  # Two clones setting up at once must not unpack into each other.
  exec 9>"$CACHE/.lock"
  flock 9
  if ! fetch "$pkg" "$ver" "$dir"; then
    # Stale lists (the mirror has moved on to a newer kernel): refresh, resolve, retry;
    # failing that, an older cached kernel is better than none.
    fetched=0
    if apt_update && read -r pkg ver <<<"$(resolve)" && [ -n "$ver" ]; then
      dir="$CACHE/${pkg}_${ver//:/%}"
      fetch "$pkg" "$ver" "$dir" && fetched=1
    fi
    if [ "$fetched" -eq 0 ]; then
      cached=$(newest_cached)
      [ -n "$cached" ] || skip "cannot download $META's kernel and none is cached"
      log "cannot download $pkg $ver; using cached $cached"
      echo "$cached"
      exit 0
    fi
  fi
  exec 9>&-
fi
echo "$pkg $ver" >"$memo" 2>/dev/null || true   # best effort: not root, no memo
log "kernel: $pkg $ver"
echo "$dir/vmlinuz"
