#!/usr/bin/env bash
# Runs guest test scripts inside a QEMU guest (Debian's cloud kernel: cgroup v2) and
# reports their verdict. See tests/vm/README.md.
#
#   tests/vm/run.sh CORDON_BINARY GUEST_SCRIPT... [SRC=/GUEST/PATH...]
#
# Every GUEST_SCRIPT (busybox sh) runs in one boot, in the given order, each under its own
# timeout, as a child of the guest's /init (tests/vm/init.sh). An argument SRC=/PATH adds
# the host file SRC to the guest at /PATH (a helper a script needs).
#
# Exit status: 0 the guest printed this run's PASS verdict; 1 it did not (the console log's
# tail is printed); 77 this host cannot run the guest (no qemu, no kernel and no apt): CTest
# marks the test skipped. A boot that hangs before /init starts is retried once.
#
# Environment: CORDON_VM_TEST_TIMEOUT (seconds per guest script, default 60),
# CORDON_VM_BOOT_TIMEOUT (seconds from QEMU's start to /init, default 60),
# CORDON_VM_KEEP=1 (keep the work folder: initramfs and console log), CORDON_VM_MEM
# (default 1G), CORDON_VM_MACHINE (default q35; microvm works too), CORDON_VM_APPEND (more kernel parameters, e.g. loglevel=7), CORDON_VM_QEMU
# (more QEMU options), and setup.sh's CORDON_VM_CACHE, CORDON_VM_KERNEL.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TEST_TIMEOUT=${CORDON_VM_TEST_TIMEOUT:-60}
BOOT_TIMEOUT=${CORDON_VM_BOOT_TIMEOUT:-60}
MEM=${CORDON_VM_MEM:-1G}
MACHINE=${CORDON_VM_MACHINE:-q35}

log() { echo "vm: $*" >&2; }
die() { log "$*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 64; }
[ $# -ge 2 ] || usage
cordon=$1
shift
[ -x "$cordon" ] || die "cordon binary $cordon is not executable"
scripts=()
extras=()
for a in "$@"; do
  case $a in
    *=/*) extras+=("$a") ;;
    *) [ -r "$a" ] || die "guest script $a is not readable"; scripts+=("$a") ;;
  esac
done
[ ${#scripts[@]} -gt 0 ] || die "no guest script given"

# Host side: packages and kernel (setup.sh exits 77 when the host cannot have them).
rc=0
kernel=$("$HERE/setup.sh") || rc=$?
[ "$rc" -eq 0 ] || { [ "$rc" -eq 77 ] && skip "setup.sh cannot prepare this host"; die "setup.sh failed ($rc)"; }
# The guest has no libraries: a dynamic binary would fail there with a confusing ENOENT.
file -L "$cordon" | grep -q 'statically linked' || die "$cordon is not statically linked"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
busybox=/bin/busybox   # busybox-static's; a dynamic busybox elsewhere in PATH would not do
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || skip "no static $busybox (busybox-static)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cordon-vm.XXXXXX")
qemu_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  # Killed from outside (CTest's timeout, ^C): no QEMU outlives us.
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
  if [ "${CORDON_VM_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The initramfs -----------------------------------------------------------------
# Real folders /bin, /sbin, /usr/bin, /usr/sbin full of busybox applet links: cordon's
# default sandbox binds the host's /usr, /bin, /sbin (and /lib*, absent here) read-only,
# so the guest must look like a host whose commands live there. /init makes the links
# (`busybox --install -s`: one process, where 270 `ln` here cost a second); /bin/sh is
# the one it needs to start.
t_build=$(date +%s%N)
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,tests}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
  >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
printf '%s\n' '127.0.0.1 localhost' '::1 localhost' >"$root/etc/hosts"
# Stripped when we can: the debug info is most of the binary (19 MB -> 2 MB), and every
# byte is copied twice at boot under TCG (initramfs unpack, then the tmpfs root).
if command -v strip >/dev/null; then
  strip -o "$root/usr/bin/cordon" "$cordon" && chmod 755 "$root/usr/bin/cordon"
else
  install -m 755 "$cordon" "$root/usr/bin/cordon"
fi
install -m 755 "$HERE/init.sh" "$root/init"
i=0
for s in "${scripts[@]}"; do
  i=$((i + 1))
  # The number keeps the order given here (init runs /tests/*.sh sorted).
  install -m 755 "$s" "$root/tests/$(printf %02d "$i")-$(basename "$s")"
done
# Two drivers that are modules in Debian's cloud kernel, loaded by /init: loop (tmpfs has
# no idmapped mounts before Linux 6.3, so a root that cordon idmaps goes on an ext2 image
# on a loop device; ext4 is built in) and overlay (image roots, --boot).
moddir="$(dirname "$(readlink -f "$kernel")")/../lib/modules"
mkdir -p "$root/lib/modules"
for m in loop overlay; do
  ko=$(find "$moddir" -name "$m.ko" 2>/dev/null | head -n 1)
  [ -n "$ko" ] && cp "$ko" "$root/lib/modules/$m.ko"
done
for e in "${extras[@]}"; do
  src=${e%%=*} dst=${e#*=}
  [ -r "$src" ] || die "extra file $src is not readable"
  mkdir -p "$root$(dirname "$dst")"
  cp -p "$src" "$root$dst"
done
run_id="$(date +%s)-$$-$RANDOM"
printf 'RUN_ID=%s\nTEST_TIMEOUT=%s\n' "$run_id" "$TEST_TIMEOUT" >"$root/tests/config"
# Uncompressed: the kernel unpacks it faster under TCG than it could inflate gzip.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/initrd"
log "initramfs: $(( $(stat -c %s "$work/initrd") / 1024 )) KiB in $(( ($(date +%s%N) - t_build) / 1000000 )) ms"

# --- The boot ----------------------------------------------------------------------
# q35 + ACPI: `poweroff -f` in the guest ends QEMU. -nodefaults: no VGA, no NIC, no
# monitor; the only device we talk to is the first serial port, written to a file.
# tsc_early_khz: without it about half of the boots under TCG hang calibrating the TSC.
# panic=-1 with -no-reboot: a guest panic (e.g. /init died) ends QEMU at once.
append="console=ttyS0 tsc_early_khz=2000000 panic=-1 quiet ${CORDON_VM_APPEND:-}"
console=$work/console.log
n=${#scripts[@]}
total_timeout=$((BOOT_TIMEOUT + n * (TEST_TIMEOUT + 5) + 30))

# One boot: 0 verdict PASS, 1 verdict FAIL or no verdict (why says which), 2 /init never
# came up (a hang).
why=""
boot() {
  : >"$console"
  local t0 pid rc=0 up=0
  t0=$(date +%s%N)
  # shellcheck disable=SC2086  # CORDON_VM_QEMU: several options, split on purpose
  timeout -k 5 "$total_timeout" qemu-system-x86_64 -accel tcg -M "$MACHINE" -cpu max -smp 2 -m "$MEM" \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$console" -kernel "$kernel" -initrd "$work/initrd" -append "$append" ${CORDON_VM_QEMU:-} \
    </dev/null >"$work/qemu.out" 2>&1 &
  pid=$!
  qemu_pid=$pid
  # Watch for /init's first line: a boot that hangs is cut short after BOOT_TIMEOUT
  # rather than after the whole run's timeout.
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$up" -eq 0 ]; then
      if grep -q "^CORDON-VM-INIT: up run=$run_id" "$console"; then
        up=1
        log "guest /init up after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
      elif [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$BOOT_TIMEOUT" ]; then
        log "no /init after ${BOOT_TIMEOUT}s: the boot hangs; stopping QEMU"
        kill "$pid" 2>/dev/null || true
      fi
    fi
    sleep 0.1
  done
  wait "$pid" || rc=$?
  qemu_pid=""
  tr -d '\r' <"$console" >"$console.txt"
  log "QEMU exited ($rc) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  if grep -qx "CORDON-VM-VERDICT: PASS run=$run_id .*" "$console.txt"; then
    # A safety net for a script that reports a failed check but exits 0.
    ! grep -q '^not ok' "$console.txt" && return 0
    why="a guest script printed 'not ok' but exited 0"
    return 1
  fi
  why=$(sed -n "s/^CORDON-VM-VERDICT: FAIL \([^ ]*\) run=$run_id.*/\1/p" "$console.txt")
  if [ -n "$why" ]; then why="$why guest script(s) failed"
  else why="no verdict from the guest (did /init or QEMU die?)"; fi
  grep -q "^CORDON-VM-INIT: up run=$run_id" "$console.txt" && return 1
  return 2
}

for attempt in 1 2; do
  result=0
  boot || result=$?
  [ "$result" -ne 2 ] && break
  [ "$attempt" -eq 1 ] && log "retrying the boot once"
done

if [ "$result" -eq 0 ]; then
  # What the guest said, from /init's first line on (the kernel's lines are noise here).
  sed -n "/^CORDON-VM-INIT: up run=$run_id/,\$p" "$console.txt"
  log "PASS (${n} guest script(s))"
  exit 0
fi
if [ "$result" -eq 1 ]; then
  log "FAIL: $why; console log tail:"
else
  log "FAIL: the guest did not come up in two boots (QEMU: $(tail -n 3 "$work/qemu.out"))"
  log "console log tail:"
fi
tail -n 60 "$console.txt" | sed 's/^/  | /' >&2
CORDON_VM_KEEP=1   # keep the evidence
exit 1
