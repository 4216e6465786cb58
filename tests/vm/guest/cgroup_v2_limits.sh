#!/bin/sh
# Guest test (busybox sh, inside the QEMU guest, a cgroup v2 host): the limit tests of
# tests/integration/limits_test.cc, on the v2 backend. One TAP-like line per check; the
# exit status is the number of failed checks. Tolerances are wider than on the host: the
# guest runs under TCG, several times slower than the hardware.
failed=0
n=0
ok() { n=$((n + 1)); echo "ok - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
detail() { sed 's/^/# /' "$1" | head -n 20; }
# The value of a JSON field in a one-line result (cordon writes keys unquoted-free and flat
# enough for this: "key":value).
field() { grep -o "\"$1\":[^,}]*" "$2" | head -n 1 | cut -d: -f2 | tr -d '"'; }
# No sandbox group may be left anywhere under /sys/fs/cgroup.
no_groups_left() { [ -z "$(find /sys/fs/cgroup -name 'cordon-*' -type d 2>/dev/null)" ]; }
# Runs cordon with the result in /tmp/r.json, stdout in /tmp/out, stderr in /tmp/err.
run() { cordon run --result-file /tmp/r.json "$@" >/tmp/out 2>/tmp/err; rc=$?; }
check() {  # NAME CONDITION...
  name=$1
  shift
  if "$@"; then ok "$name"; else
    not_ok "$name (exit $rc)"
    detail /tmp/r.json
    detail /tmp/err
  fi
}

# 1. The result names the v2 backend, and the limits land in the group's files.
cordon run --memory 96M --pids 40 --cpus 0.25 -- sleep 3 >/dev/null 2>&1 &
sup=$!
sleep 1
g=$(find /sys/fs/cgroup -maxdepth 1 -name 'cordon-*' -type d | head -n 1)
limits="$(cat "$g/memory.max" "$g/pids.max" "$g/cpu.max" 2>/dev/null | tr '\n' ' ')"
kill "$sup"
wait "$sup"
[ "$limits" = "100663296 40 25000 100000 " ] && ok "limits written to memory.max, pids.max, cpu.max" ||
  not_ok "limits written to memory.max, pids.max, cpu.max (got '$limits' in '$g')"
run -- true
check "the result says cgroup version 2" [ "$(field version /tmp/r.json)" = 2 ]

# 2. A fork bomb stops at the pids limit; the guest keeps running other processes.
run --pids 32 --time 3s -- sh -c 'bomb() { bomb | bomb & }; bomb; sleep 10'
check "fork bomb: wall-time at 3s, forks refused" \
  sh -c "[ $rc -eq 124 ] && grep -qi 'fork' /tmp/err && [ \"$(field reason /tmp/r.json)\" = wall-time ]"
i=0
while [ $i -lt 20 ] && /bin/true; do i=$((i + 1)); done
[ $i -eq 20 ] && ok "the guest still runs processes after the bomb" || not_ok "guest processes"

# 3. A memory bomb ends with oom inside its limit (awk doubles a string until it cannot).
run --memory 32M -- awk 'BEGIN { s = "x"; while (1) s = s s }'
peak=$(field peak_memory_bytes /tmp/r.json)
check "memory bomb: oom, peak within 32M" \
  sh -c "[ $rc -eq 121 ] && [ \"$(field reason /tmp/r.json)\" = oom ] && [ ${peak:-999999999} -le 33554432 ]"

# 4. A CPU spin ends with cpu-time, having used at least its limit: user plus system, as
# the split of cpu.stat under TCG and a loaded host can put much of a spin on either side.
# (Each field loses its fraction here: 2 ms at most.) Bounded above only far past any
# scheduling delay, where the limit would not hold at all.
run --cpu-time 500ms -- sh -c 'while :; do :; done'
user=$(field cpu_user_ms /tmp/r.json | cut -d. -f1)
sys=$(field cpu_system_ms /tmp/r.json | cut -d. -f1)
cpu=$((${user:-0} + ${sys:-0}))
check "cpu spin: cpu-time at 500ms (user ${user}ms, system ${sys}ms)" \
  sh -c "[ $rc -eq 123 ] && [ $cpu -ge 498 ] && [ $cpu -le 10000 ]"

# 5. A sleep ends with wall-time.
run --time 500ms -- sleep 30
check "sleep: wall-time at 500ms" sh -c "[ $rc -eq 124 ] && [ \"$(field reason /tmp/r.json)\" = wall-time ]"

# 6. An output flood is cut at the limit, to the byte.
run --output-limit 10K -- yes
bytes=$(wc -c </tmp/out)
check "output flood: cut at 10240 bytes (got $bytes)" sh -c "[ $rc -eq 122 ] && [ $bytes -eq 10240 ]"

# 7. A double-forked daemon dies with the sandbox, and its group goes.
run -- sh -c "(sh -c 'sleep 4321987' &) ; sleep 0.2"
alive=0
for f in /proc/[0-9]*/cmdline; do
  [ "$(tr '\0' ' ' <"$f" 2>/dev/null)" = "sleep 4321987 " ] && alive=$((alive + 1))
done
check "the double-forked daemon is gone" sh -c "[ $rc -eq 0 ] && [ $alive -eq 0 ]"
no_groups_left && ok "no cordon-* group left in /sys/fs/cgroup" || not_ok "groups left"

# 8. --cgroup-parent places the group under a delegated parent.
mkdir -p /sys/fs/cgroup/jobs
echo "+memory +pids +cpu" >/sys/fs/cgroup/jobs/cgroup.subtree_control
run --cgroup-parent /jobs -- true
check "--cgroup-parent /jobs" grep -q '"/sys/fs/cgroup/jobs/cordon-' /tmp/r.json

# 9. A parent with processes of its own cannot hand controllers down: a clear refusal,
# and nothing is started (fail closed).
mkdir -p /sys/fs/cgroup/busy
echo $$ >/sys/fs/cgroup/busy/cgroup.procs
cordon run -- true >/tmp/out 2>/tmp/err
rc=$?
echo $$ >/sys/fs/cgroup/cgroup.procs
check "a busy parent is refused with a pointer to --cgroup-parent" \
  sh -c "[ $rc -eq 125 ] && grep -q -- '--cgroup-parent' /tmp/err"
rmdir /sys/fs/cgroup/busy /sys/fs/cgroup/jobs 2>/dev/null

# 10. Bad limits are refused before anything is created.
run --memory 1M -- true
check "--memory 1M refused (64), nothing created" sh -c "[ $rc -eq 64 ]"
no_groups_left && ok "still no cordon-* group left" || not_ok "groups left after bad input"

echo "1..$n"
exit "$failed"
