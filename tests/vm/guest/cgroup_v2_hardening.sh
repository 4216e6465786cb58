#!/bin/sh
# Guest test (busybox sh, inside the QEMU guest, a cgroup v2 host): what
# tests/integration/exhaustion_test.cc checks on the host, on the v2 backend and Debian's
# 6.1 kernel, with the static exhaust_probe at /usr/local/bin. One TAP-like line per
# check; the exit status is the number of failed checks.
failed=0
n=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }

# 1. Socket buffers count in memory.max: 64 loopback connections written into and never
# read either hold at most the limit plus one forced 64 KiB buffer per socket, or take
# the group past memory.max, and the OOM killer ends the sandbox (v2 charges the forced
# buffers too, where v1 keeps them under the socket counter).
out=$(cordon run --memory 32M --time 120s --result-file /tmp/r.json -- exhaust_probe tcp 64 2>/tmp/err)
rc=$?
bytes=$(echo "$out" | cut -d' ' -f2)
bound=$((33554432 + 64 * 2 * 65536))
if [ $rc -eq 121 ] && grep -q '"reason":"oom"' /tmp/r.json; then
  ok "TCP buffers: the sandbox ended by the OOM killer at --memory 32M"
elif [ $rc -eq 0 ] && [ "${bytes:-0}" -gt 0 ] && [ "$bytes" -le "$bound" ]; then
  ok "TCP buffers within --memory 32M ($bytes bytes)"
else
  not_ok "TCP buffers within --memory 32M (exit $rc, got '$out', at most $bound)"
  sed 's/^/# /' /tmp/err | head -n 5
fi

# 2. A sandbox that holds every inotify instance its slot may have leaves the host's
# root its own (the user namespace is owned by the slot's UID).
cordon run --time 120s -- exhaust_probe inotify --hold >/tmp/held 2>/tmp/err &
sup=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^inotify' /tmp/held; do sleep 0.1; i=$((i + 1)); done
held=$(cat /tmp/held)
mine=$(/usr/local/bin/exhaust_probe one inotify)
kill "$sup"
wait "$sup"
case "$held" in
  "inotify "*" EMFILE") ;;
  *) not_ok "the sandbox ran out of inotify instances (got '$held')" ;;
esac
[ "$mine" = "inotify 1 ok" ] && ok "guest root opens inotify while a sandbox holds '$held'" ||
  not_ok "guest root opens inotify while a sandbox holds '$held' (got '$mine')"

echo "1..$n"
exit "$failed"
