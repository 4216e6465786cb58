#!/bin/sh
# /init of the test guest (busybox sh, PID 1), put there by tests/vm/run.sh.
# Mounts what a normal cgroup v2 host has, runs each guest script in /tests in order,
# each under its own timeout, prints a verdict line that run.sh reads from the serial
# console, and powers off. No `set -e`: if PID 1 exits, the kernel panics (and with
# panic=-1 and -no-reboot, QEMU quits without a verdict, which run.sh reports as FAIL);
# every step here must rather go on and report.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root

if [ "${1:-}" != stage2 ]; then
  # Stage 1, on the initramfs. First the applet links in /bin, /sbin, /usr/bin and
  # /usr/sbin (no /proc yet, so busybox links to its argv[0], hence the full path).
  /bin/busybox --install -s
  # The kernel opened no console: the initramfs has no /dev/console node (making one
  # would need root on the host); devtmpfs has it.
  mount -t devtmpfs devtmpfs /dev
  exec </dev/console >/dev/console 2>&1
  # pivot_root(2) refuses to move the initramfs ("rootfs") away (EINVAL), and cordon
  # pivots into every sandbox's root: copy the tree to a tmpfs and make that the root.
  mkdir -p /newroot
  mount -t tmpfs -o mode=755 root /newroot
  set --   # one cp for the whole tree: every process start is dear under TCG
  for e in /*; do
    case $e in /newroot | /dev | /proc | /sys) ;; *) set -- "$@" "$e" ;; esac
  done
  cp -a "$@" /newroot/
  mkdir -p /newroot/dev /newroot/proc /newroot/sys
  mount --move /dev /newroot/dev
  # shellcheck disable=SC2093  # the lines after it run only if switch_root fails
  exec switch_root /newroot /init stage2
  echo "CORDON-VM-ERROR: switch_root failed"
  poweroff -f
fi
# Stage 2, on the tmpfs root; /dev and the console come from stage 1.

# Written by run.sh: RUN_ID (echoed in every marker, so that a stale log or a script's own
# output can never pass for this run's verdict) and TEST_TIMEOUT (seconds per script).
# shellcheck disable=SC1091
. /tests/config

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run    # cordon keeps its ID slot locks in /run/cordon
mount -t tmpfs -o mode=1777 tmpfs /tmp
# The options systemd uses on a v2 host, so that cordon meets the same cgroupfs there.
for ko in /lib/modules/*.ko; do [ -e "$ko" ] && insmod "$ko"; done
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
  mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up 2>/dev/null

# Hand the controllers down from the root, as systemd does, so that cordon can create
# child groups with limits. One at a time, to tell which one the kernel refused.
for c in cpu memory pids io; do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ||
    echo "CORDON-VM-WARN: cannot enable the $c controller"
done

echo "CORDON-VM-INIT: up run=$RUN_ID kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)s"
echo "CORDON-VM-INIT: cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

now() { cut -d' ' -f1 /proc/uptime; }

total=0
failed=0
for t in /tests/*.sh; do
  [ -f "$t" ] || continue
  name=${t##*/}
  total=$((total + 1))
  echo "CORDON-VM-BEGIN: $name"
  start=$(now)
  # Its own session (so process group): on timeout the whole group is killed, not only
  # the script's shell. A backgrounded child of a non-interactive shell is no group
  # leader, so setsid execs in place and $! is the group's id.
  setsid sh "$t" </dev/null &
  pid=$!
  (sleep "$TEST_TIMEOUT"; echo "CORDON-VM-TIMEOUT: $name after ${TEST_TIMEOUT}s"
   kill -KILL -"$pid") &
  watchdog=$!
  wait "$pid"
  rc=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  if [ "$rc" -eq 0 ]; then verdict=PASS; else verdict=FAIL; failed=$((failed + 1)); fi
  echo "CORDON-VM-END: $name $verdict rc=$rc start=${start}s end=$(now)s"
done

if [ "$total" -eq 0 ]; then
  echo "CORDON-VM-VERDICT: FAIL no-scripts run=$RUN_ID"
elif [ "$failed" -eq 0 ]; then
  echo "CORDON-VM-VERDICT: PASS run=$RUN_ID scripts=$total uptime=$(now)s"
else
  echo "CORDON-VM-VERDICT: FAIL $failed run=$RUN_ID scripts=$total uptime=$(now)s"
fi
# -f: no init to ask; the kernel powers off through ACPI and QEMU exits.
poweroff -f
# Not reached unless poweroff failed: sysrq 'o' is the kernel's own power-off.
echo o >/proc/sysrq-trigger
sleep 5
