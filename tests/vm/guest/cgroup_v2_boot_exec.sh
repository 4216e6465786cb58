#!/bin/sh
# Guest test (busybox sh, inside the QEMU guest, a cgroup v2 host): a booted sandbox
# whose init does what systemd does with the group it is given (moves itself into
# init.scope and hands controllers down from the delegated root), then `cordon exec`
# into it. Once the root of the delegated tree has controllers enabled no process may
# join it ("no internal processes"): exec must join PID 1's own group, beneath the
# sandbox's. One TAP-like line per check; the exit status is the number of failed checks.
failed=0
n=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
detail() { sed 's/^/# /' "$1" | head -n 20; }

# A root file system of busybox with a shell script for an init, on an ext2 file system
# of its own (cordon idmaps the root, which tmpfs cannot do on 6.1).
dd if=/dev/zero of=/tmp/root.img bs=1M count=16 2>/dev/null
dev=$(losetup -f) && losetup "$dev" /tmp/root.img && mke2fs -q "$dev" >/dev/null 2>&1
R=/mnt/bootroot
mkdir -p "$R"
mount -t ext4 "$dev" "$R" || { not_ok "an ext2 root on a loop device ($dev)"; exit 1; }
mkdir -p "$R/bin" "$R/sbin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/etc" "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in sh cat echo mkdir sleep; do ln -s busybox "$R/bin/$a"; done
cat >"$R/sbin/init" <<'INIT'
#!/bin/sh
exec 2>/run/init.err
mkdir /sys/fs/cgroup/init.scope &&
  echo $$ >/sys/fs/cgroup/init.scope/cgroup.procs &&
  echo "+pids +memory" >/sys/fs/cgroup/cgroup.subtree_control &&
  echo ready >/run/ready
sleep 3600 &
wait
INIT
chmod 755 "$R/sbin/init"

cordon run --boot --rootfs "$R" --name v2boot --stop-grace 1s -- /sbin/init \
  >/tmp/boot.out 2>/tmp/boot.err &
sup=$!

# 1. The init got its delegated tree: it moved itself into init.scope and enabled
# controllers below its root, which holds no process now (seen from the host, so that no
# exec of ours sits in the root meanwhile: an init enables controllers before it starts
# anything, as systemd does, and exec waits for the init's first child).
g=""
end=$(($(date +%s) + 20))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$sup" 2>/dev/null; do
  for d in /sys/fs/cgroup/cordon-*; do
    [ -d "$d/init.scope" ] && grep -q pids "$d/cgroup.subtree_control" && g=$d
  done
  [ -n "$g" ] && break
  sleep 0.2
done
if [ -n "$g" ] && [ ! -s "$g/cgroup.procs" ] && grep -q memory "$g/cgroup.subtree_control"; then
  ok "the booted init moved into init.scope and enabled +pids +memory below its root"
else
  not_ok "the booted init moved into init.scope and enabled +pids +memory below its root ('$g')"
  detail /tmp/boot.err
fi

# 2. exec now runs in PID 1's group, init.scope (its cgroup namespace's root is the
# sandbox's group), its output and exit status come back.
out=$(cordon exec v2boot -- sh -c 'cat /run/ready /proc/self/cgroup; exit 7' 2>/tmp/exec.err)
rc=$?
if [ "$rc" -eq 7 ] && [ "$out" = "ready
0::/init.scope" ]; then
  ok "cordon exec joins the init's group, init.scope"
else
  not_ok "cordon exec joins the init's group, init.scope (exit $rc, '$out')"
  detail /tmp/exec.err
  cordon exec v2boot -- cat /run/init.err 2>&1 | sed 's/^/# /'
fi

# 3. On the host, while an exec runs: its process is in the sandbox's init.scope.
cordon exec v2boot -- sleep 30 >/dev/null 2>&1 &
ex=$!
found=""
end=$(($(date +%s) + 20))
while [ -z "$found" ] && [ "$(date +%s)" -lt "$end" ]; do
  for p in $(cat "$g/init.scope/cgroup.procs" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && [ "$(cat "/proc/$p/cmdline" | tr '\0' ' ')" = "sleep 30 " ] && found=$p
  done
  [ -z "$found" ] && sleep 0.2
done
kill "$ex" 2>/dev/null
wait "$ex" 2>/dev/null
if [ -n "$found" ]; then
  ok "on the host, the exec'd process is in $g/init.scope"
else
  not_ok "on the host, the exec'd process is in $g/init.scope"
  grep -l . /sys/fs/cgroup/cordon-*/cgroup.procs /sys/fs/cgroup/cordon-*/*/cgroup.procs 2>/dev/null | sed 's/^/# /'
fi

# 4. Stopped, it leaves no group behind.
kill -TERM "$sup" 2>/dev/null
wait "$sup"
if [ -z "$(find /sys/fs/cgroup -name 'cordon-*' -type d 2>/dev/null)" ]; then
  ok "stopped, the booted sandbox leaves no group"
else
  not_ok "stopped, the booted sandbox leaves no group"
  find /sys/fs/cgroup -name 'cordon-*' -type d | sed 's/^/# /'
fi
umount "$R"
losetup -d "$dev"
rm -f /tmp/root.img
echo "1..$n"
exit "$failed"
