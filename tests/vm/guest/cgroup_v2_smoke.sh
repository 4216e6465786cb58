#!/bin/sh
# Guest test (busybox sh, run by tests/vm/init.sh inside the QEMU guest): the guest is a
# cgroup v2 host, and cordon starts sandboxes there. Prints one TAP-like line per check
# ("ok - NAME" / "not ok - NAME", details as "# " lines) and exits with the number of
# failed checks.
failed=0
n=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
# Prints a file's lines as TAP comments: the evidence of a failed check.
detail() { sed 's/^/# /' "$1"; }

# 1. /sys/fs/cgroup is cgroup2: its statfs magic is CGROUP2_SUPER_MAGIC (0x63677270).
magic=$(stat -f -c %t /sys/fs/cgroup)
if [ "$magic" = 63677270 ]; then
  ok "/sys/fs/cgroup is cgroup2"
else
  not_ok "/sys/fs/cgroup is cgroup2 (statfs magic 0x$magic)"
  grep cgroup /proc/mounts | sed 's/^/# /'
fi

# 2. The controllers cordon's limits need are handed down from the root.
ctl=" $(cat /sys/fs/cgroup/cgroup.subtree_control) "
missing=""
for c in cpu memory pids io; do
  case $ctl in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
if [ -z "$missing" ]; then
  ok "root cgroup.subtree_control has cpu memory pids io"
else
  not_ok "root cgroup.subtree_control has cpu memory pids io (missing:$missing)"
fi

# 3. A sandbox starts and its output comes back.
out=$(cordon run -- echo hello 2>/tmp/smoke.err)
rc=$?
if [ "$rc" -eq 0 ] && [ "$out" = hello ]; then
  ok "cordon run -- echo hello"
else
  not_ok "cordon run -- echo hello (exit $rc, stdout '$out')"
  detail /tmp/smoke.err
fi

# 4. --json: root inside maps to an unprivileged host ID, 65536 IDs, and the result
# says the command exited 0. The uid_map line comes first, the JSON object last.
cordon run --json -- cat /proc/self/uid_map >/tmp/smoke.out 2>/tmp/smoke.err
rc=$?
map=$(head -n 1 /tmp/smoke.out)
json=$(tail -n 1 /tmp/smoke.out)
# shellcheck disable=SC2086  # split the uid_map line into its three numbers
set -- $map
if [ "$rc" -eq 0 ] && [ "$#" -eq 3 ] && [ "$1" = 0 ] && [ "$2" -gt 0 ] && [ "$3" = 65536 ] &&
  echo "$json" | grep -q '"reason":"exited"' && echo "$json" | grep -q '"exit_code":0'; then
  ok "cordon run --json -- cat /proc/self/uid_map"
  echo "# uid_map: $map"
else
  not_ok "cordon run --json -- cat /proc/self/uid_map (exit $rc)"
  detail /tmp/smoke.out
  detail /tmp/smoke.err
fi

echo "1..$n"
exit "$failed"
