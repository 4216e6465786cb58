#!/usr/bin/env python3
"""The peer sandbox systems the benchmarks compare cordon with, ready to run.

discover(workdir, cordon) prepares under workdir one way to run a command in
each peer: floor (plain fork+exec), unshare, cordon, cordon-no-cgroup, bwrap,
crun, runsc (gVisor) and lxc, each described by its Peer.description. Each
shows the command the host's /usr read-only and the host's root links
(/bin -> usr/bin, ...), so /bin/true and /bin/sleep run everywhere. crun, runsc
and lxc get cordon's default limits and seccomp allowlist, and need root.
Containers and cgroups are named cordon-bench*; Peer.cleanup() removes what a
run leaves, and the empty cordon-bench cgroups go at interpreter exit.

As a script: print each peer's command line, time /bin/true in each
(interleaved; medians), check `sleep 0.2` in each and that nothing is left.
"""

import argparse
import atexit
import copy
import glob
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

PREFIX = "cordon-bench"
ROOT_ENTRIES = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Host ID ranges of the ID-mapped peers (cordon's own slots are at 2^31 and up).
CRUN_IDS, LXC_IDS, ID_COUNT = 0x70000000, 0x70010000, 65536
# cordon's default limits: --memory 512M (no swap), --pids 512, --cpus 1.
MEMORY_BYTES, PIDS_MAX, CPU_PERIOD_US = 512 << 20, 512, 100000
APT_HINT = "apt: run bench/setup.sh"
CGROUP_ROOT = "/sys/fs/cgroup"

# cordon's default seccomp policy (default_policy() in plan/seccomp_policy.cc):
# allowed without conditions; then the conditional rules; the rest is EPERM.
SECCOMP_ALLOW = """read write open close stat fstat lstat lseek pread64 pwrite64 readv writev
preadv pwritev preadv2 pwritev2 access faccessat faccessat2 dup dup2 dup3 fcntl flock fsync
fdatasync sync syncfs sync_file_range truncate ftruncate fallocate getdents getdents64 getcwd
chdir fchdir rename renameat renameat2 mkdir mkdirat rmdir creat link linkat unlink unlinkat
symlink symlinkat readlink readlinkat chmod fchmod fchmodat fchmodat2 chown fchown lchown
fchownat umask openat openat2 newfstatat statx statfs fstatfs utime utimes futimesat utimensat
mknod mknodat sendfile splice tee vmsplice copy_file_range readahead fadvise64 close_range
name_to_handle_at setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr
llistxattr flistxattr removexattr lremovexattr fremovexattr inotify_init inotify_init1
inotify_add_watch inotify_rm_watch cachestat io_setup io_destroy io_getevents io_submit
io_cancel io_pgetevents poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl
epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2 pipe pipe2 signalfd signalfd4
timerfd_create timerfd_settime timerfd_gettime mmap mprotect munmap brk mremap msync mincore
madvise mlock mlock2 munlock mlockall munlockall remap_file_pages membarrier memfd_create
pkey_mprotect pkey_alloc pkey_free mbind set_mempolicy get_mempolicy set_mempolicy_home_node
map_shadow_stack fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill
getpid getppid gettid getpgid setpgid getpgrp getsid setsid set_tid_address set_robust_list
get_robust_list futex futex_waitv futex_wake futex_wait futex_requeue rseq arch_prctl prctl
sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam
sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min
sched_rr_get_interval sched_getattr sched_setattr getpriority setpriority ioprio_get ioprio_set
getrlimit setrlimit prlimit64 getrusage times ptrace process_vm_readv process_vm_writev kcmp
pidfd_open pidfd_send_signal pidfd_getfd process_madvise process_mrelease seccomp
landlock_create_ruleset landlock_add_rule landlock_restrict_self getuid geteuid getgid getegid
getresuid getresgid getgroups setuid setgid setreuid setregid setresuid setresgid setgroups
setfsuid setfsgid capget capset rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending
rt_sigtimedwait rt_sigqueueinfo rt_tgsigqueueinfo rt_sigsuspend sigaltstack pause alarm
getitimer setitimer restart_syscall nanosleep clock_nanosleep clock_gettime clock_getres
gettimeofday time timer_create timer_settime timer_gettime timer_getoverrun timer_delete
connect accept accept4 bind listen sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown
getsockname getpeername setsockopt getsockopt shmget shmat shmctl shmdt semget semop semctl
semtimedop msgget msgsnd msgrcv msgctl mq_open mq_unlink mq_timedsend mq_timedreceive
mq_notify mq_getsetattr uname sysinfo getrandom getcpu""".split()
# ENOSYS, not EPERM: glibc falls back from clone3 to clone; the rest are gone.
SECCOMP_ENOSYS = """clone3 memfd_secret _sysctl uselib nfsservctl create_module
get_kernel_syms query_module lookup_dcookie afs_syscall tuxcall security vserver putpmsg
getpmsg epoll_ctl_old epoll_wait_old""".split()
NAMESPACE_FLAGS = 0x7E020080  # CLONE_NEW{NS,UTS,IPC,USER,PID,NET,CGROUP,TIME}
TIOCSTI, TIOCLINUX, LOW32 = 0x5412, 0x541C, 0xFFFFFFFF


def low32_except(excluded, bit=31, prefix=0):
    """(mask, value) pairs that match, on an argument's low 32 bits, every
    value except those in `excluded` (how cordon filters ioctl)."""
    out = []
    for b in (0, 1):
        child = [v for v in excluded if (v >> bit) & 1 == b]
        value = prefix | (b << bit)
        if not child:
            out.append(((LOW32 << bit) & LOW32, value))
        elif bit > 0:
            out += low32_except(child, bit - 1, value)
    return out


def seccomp_rules():
    """cordon's default policy as [(names, errno or 0 to allow, args)];
    an arg is (index, op, mask or value, value) with op "eq" or "masked"."""
    eq = lambda i, v: (i, "eq", v, v)  # noqa: E731
    rules = [(SECCOMP_ALLOW, 0, []),
             (["clone", "unshare"], 0, [(0, "masked", NAMESPACE_FLAGS, 0)]),
             (["socket"], 0, [eq(0, 16), eq(2, 0)]),  # AF_NETLINK, NETLINK_ROUTE
             (["socketpair"], 0, [eq(0, 1)])]
    rules += [(["socket"], 0, [eq(0, family)]) for family in (1, 2, 10)]
    rules += [(["personality"], 0, [(0, "masked", LOW32, v)]) for v in (0, LOW32)]
    rules += [(["ioctl"], 0, [(1, "masked", m, v)])
              for m, v in low32_except([TIOCSTI, TIOCLINUX])]
    return rules + [(SECCOMP_ENOSYS, 38, [])]


def oci_seccomp():
    """The policy as an OCI profile, EPERM by default (x86_64, x86, x32)."""
    ops = {"eq": "SCMP_CMP_EQ", "masked": "SCMP_CMP_MASKED_EQ"}
    syscalls = []
    for names, errno, args in seccomp_rules():
        rule = {"names": names, "action": "SCMP_ACT_ERRNO" if errno else "SCMP_ACT_ALLOW",
                "args": [{"index": i, "value": m, "valueTwo": v if op == "masked" else 0,
                          "op": ops[op]} for i, op, m, v in args]}
        syscalls.append(dict(rule, errnoRet=errno) if errno else rule)
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": syscalls}


def lxc_seccomp():
    """The policy as an LXC seccomp v2 allowlist (lxc.container.conf(5))."""
    lines = ["2", "allowlist errno 1"]
    for names, errno, args in seccomp_rules():
        conds = "".join(f"[{i},{v},SCMP_CMP_MASKED_EQ,{m}]" if op == "masked"
                        else f"[{i},{v},SCMP_CMP_EQ]" for i, op, m, v in args)
        lines += [f"{n} {f'errno {errno}' if errno else 'allow'} {conds}".rstrip()
                  for n in names]
    return "\n".join(lines) + "\n"


def root_links():
    """[(name, target)] of the host's /bin, /lib, ...: target is the symlink's
    target (into /usr), or None for a real directory (to bind read-only)."""
    out = []
    for name in ROOT_ENTRIES:
        path = "/" + name
        if os.path.islink(path) and os.path.realpath(path).startswith("/usr/"):
            out.append((name, os.readlink(path)))
        elif os.path.isdir(path):
            out.append((name, None))
    return out


def bwrap_prefix(bwrap, extra=()):
    """bwrap --unshare-all with the host's /usr read-only and its root links, /proc,
    /dev and a /tmp tmpfs, then extra options; the command follows."""
    return ([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
            + [a for n, t in root_links()
               for a in (["--symlink", t, "/" + n] if t else ["--ro-bind", "/" + n, "/" + n])]
            + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *extra])


def make_rootfs(path):
    """An empty root, mode 0755: the root links, and mount points for /usr,
    /proc, /dev, /tmp and the root entries that are real directories."""
    os.makedirs(path)
    for name, target in root_links() + [(n, None) for n in ("usr", "proc", "dev", "tmp")]:
        if target:
            os.symlink(target, os.path.join(path, name))
        else:
            os.mkdir(os.path.join(path, name))
            os.chmod(os.path.join(path, name), 0o755)
    os.chmod(path, 0o755)


def first_line(text, default):
    """The first non-blank line of text, or default."""
    return next((line.strip() for line in text.splitlines() if line.strip()), default)


def remove_cgroups(rel, kill=False):
    """rmdir the cgroup `rel`, and the cgroups below it, in every hierarchy;
    with kill, SIGKILL their processes first (a run's own) and retry for up to
    a second while they die. Busy cgroups are otherwise left as they are."""
    for top in glob.glob(os.path.join(CGROUP_ROOT, "*", rel)):
        for path, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
            for _ in range(50 if kill else 1):
                try:
                    if kill:
                        with open(os.path.join(path, "cgroup.procs"), encoding="ascii") as f:
                            for pid in f.read().split():
                                os.kill(int(pid), signal.SIGKILL)
                    os.rmdir(path)
                except FileNotFoundError:
                    pass
                except OSError:
                    time.sleep(0.02 if kill else 0)
                    continue
                break


_HELPERS = []  # helper processes, stopped at exit


@atexit.register
def _at_exit():
    """Stop the launchers and helper processes; remove the empty cgroups under
    cordon-bench (shared by the runs, so no single cleanup() removes them)."""
    stop_launchers()
    for proc in _HELPERS:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    remove_cgroups(PREFIX)


def stop_launchers():
    """Stops every cordon launcher discover() started (before its workdir goes)."""
    while _LAUNCHERS:
        _LAUNCHERS.pop().stop()


def crun_namespace():
    """crun 1.8 refuses hybrid cgroup hosts whose cgroup2 has a controller
    ("cgroups in hybrid mode not supported"). Park a process in a mount
    namespace of its own without the cgroup2 mount; return the nsenter prefix
    that runs crun there (one more exec), or [] if the host needs none."""
    try:
        with open(CGROUP_ROOT + "/unified/cgroup.controllers", encoding="ascii") as f:
            if not f.read().strip():
                return []
    except OSError:
        return []
    script = f"umount {CGROUP_ROOT}/unified && echo ready && exec sleep infinity"
    holder = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "unshare", "--mount",
                               "--propagation", "private", "/bin/sh", "-c", script],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    _HELPERS.append(holder)
    if holder.stdout.readline().strip() != "ready":
        holder.kill()
        raise RuntimeError(first_line(holder.stderr.read(), "mount namespace helper failed"))
    holder.stdout.close()
    holder.stderr.close()
    return [shutil.which("nsenter") or "nsenter", f"--mount=/proc/{holder.pid}/ns/mnt"]


def ensure_subids():
    """lxc maps IDs with newuidmap/newgidmap whenever they are installed (the
    uidmap package), and those want the range in /etc/subuid and /etc/subgid
    even for root. Added for UID 0 by number; cordon never takes root's
    entries (README, ID slots). Returns the files changed."""
    if not (shutil.which("newuidmap") and shutil.which("newgidmap")):
        return []
    changed = []
    for path in ("/etc/subuid", "/etc/subgid"):
        text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if not {f"{who}:{LXC_IDS}:{ID_COUNT}" for who in ("0", "root")} & set(text.split()):
            with open(path, "a", encoding="utf-8") as out:
                out.write(("\n" if text and not text.endswith("\n") else "")
                          + f"0:{LXC_IDS}:{ID_COUNT}\n")
            changed.append(path)
    return changed


class Peer:
    """One sandbox system: how to run a command in it, how to clean up a run."""

    def __init__(self, name, description, prefix=()):
        self.name, self.description, self._prefix = name, description, list(prefix)

    def argv(self, command, run_id):
        """The full command line that runs command in this peer."""
        return self._prefix + list(command)

    def cleanup(self, run_id):
        """Remove what run run_id left behind (nothing, for this peer)."""


class LauncherPeer(Peer):
    """cordon's defaults started by a running `cordon launcher`: the bench talks to its
    socket itself (launcher/wire.h), as a service would, so no process is exec'd per
    sandbox on the caller's side. The launcher keeps its network namespace pool."""

    def __init__(self, cordon, workdir):
        super().__init__("cordon-launcher", "cordon's defaults, started by a running "
                         "`cordon launcher` (no exec of cordon per sandbox; pooled network "
                         "namespaces); the bench calls its socket directly")
        self._cordon = cordon
        self.socket = os.path.join(workdir, "launcher.sock")
        self._log = open(os.path.join(workdir, "launcher.log"), "wb")
        self.proc = subprocess.Popen([cordon, "launcher", "--socket", self.socket],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log)
        _LAUNCHERS.append(self)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cordon launcher did not start (see launcher.log)")
            time.sleep(0.01)

    def argv(self, command, run_id):
        return [self._cordon, "run", "--launcher", self.socket, "--"] + list(command)

    def request(self, command):
        """The request bytes for `cordon run -- command` (launcher/wire.h, "CDL2"): the
        sandbox spec's JSON form, every field left out taking cordon's default."""
        body = json.dumps({"spec": {"argv": list(command)}}).encode()
        return b"CDL2" + struct.pack("<I", 8 + len(body)) + body

    def start(self, command, stdout_fd, stderr_fd):
        """Sends the request; returns the connection, which answers at the sandbox's end.
        Closing it early hangs up: the sandbox gets SIGHUP."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.connect(self.socket)
        socket.send_fds(sock, [self.request(command)], [_DEVNULL_FD(), stdout_fd, stderr_fd])
        return sock

    @staticmethod
    def finish(sock):
        """Waits for the reply; returns the sandbox's exit status. The reply is one packet
        here: a result of /bin/true is far below the launcher's 64 KiB piece."""
        reply = sock.recv(1 << 16)
        if reply[:4] == b"CDS1":  # the supervisor's PID, before the exit status
            reply = sock.recv(1 << 16)
        sock.close()
        if len(reply) < 12 or reply[:4] != b"CDR2":
            return 125
        total, status = struct.unpack("<Ii", reply[4:12])
        if total != len(reply):
            return 125
        return status

    def call(self, command, stdout_fd, stderr_fd):
        """Runs command to its end; returns its exit status."""
        return self.finish(self.start(command, stdout_fd, stderr_fd))

    def host_processes(self):
        """The supervisors: the launcher's children."""
        pids = []
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            with open(f"/proc/{self.proc.pid}/task/{task}/children", encoding="ascii") as f:
                pids += [int(p) for p in f.read().split()]
        return pids

    def stop(self):
        """SIGTERM to the launcher, which ends its sandboxes and removes its socket."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


_LAUNCHERS = []
_DEVNULL = []


def _DEVNULL_FD():
    if not _DEVNULL:
        _DEVNULL.append(os.open(os.devnull, os.O_RDWR))
    return _DEVNULL[0]


class OciPeer(Peer):
    """An OCI runtime (crun, runsc) running a bundle per run under workdir."""

    def __init__(self, name, description, runtime, workdir, options=()):
        super().__init__(name, description)
        self._dir, self._state = os.path.join(workdir, name), os.path.join(workdir, name, "state")
        self._runtime = runtime + ["--root=" + self._state, *options]
        make_rootfs(os.path.join(self._dir, "rootfs"))
        binds = ["usr"] + [n for n, target in root_links() if not target]
        ids = [{"containerID": 0, "hostID": CRUN_IDS, "size": ID_COUNT}]
        no_caps = dict.fromkeys(
            ("bounding", "effective", "inheritable", "permitted", "ambient"), [])
        self._config = {  # OCI runtime spec 1.0; argv() fills in args and cgroupsPath
            "ociVersion": "1.0.2", "hostname": PREFIX,
            "root": {"path": os.path.join(self._dir, "rootfs"), "readonly": True},
            "mounts": [{"destination": "/" + n, "type": "bind", "source": "/" + n,
                        "options": ["rbind", "ro", "nosuid", "nodev"]} for n in binds] + [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=64k"]},
                {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "mode=1777"]}],
            "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/", "args": [],
                        "env": [PATH_ENV], "noNewPrivileges": True, "capabilities": no_caps,
                        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
            "linux": {"namespaces": [{"type": t} for t in ("user", "pid", "network", "ipc",
                                                           "uts", "mount", "cgroup")],
                      "uidMappings": ids, "gidMappings": ids, "cgroupsPath": "",
                      "resources": {"memory": {"limit": MEMORY_BYTES, "swap": MEMORY_BYTES},
                                    "pids": {"limit": PIDS_MAX},
                                    "cpu": {"quota": CPU_PERIOD_US, "period": CPU_PERIOD_US}},
                      "seccomp": oci_seccomp()}}

    def _names(self, run_id):
        return (os.path.join(self._dir, f"bundle-{run_id}"), f"{PREFIX}-{run_id}",
                f"{PREFIX}/{PREFIX}-{self.name}-{run_id}")

    def argv(self, command, run_id):
        """Write the run's bundle/config.json; return `RUNTIME run` of it."""
        bundle, container, cgroup = self._names(run_id)
        os.makedirs(bundle, exist_ok=True)
        # A copy: parallel workers write their bundles at once, and a run in another
        # run's cgroup would be killed by that run's cleanup.
        config = copy.deepcopy(self._config)
        config["process"]["args"] = list(command)
        config["linux"]["cgroupsPath"] = "/" + cgroup
        with open(os.path.join(bundle, "config.json"), "w", encoding="utf-8") as out:
            json.dump(config, out)
        return self._runtime + ["run", "--bundle", bundle, container]

    def cleanup(self, run_id):
        """Force-delete the container if its state is left; kill what is left in
        its cgroup, remove the cgroup and the bundle."""
        bundle, container, cgroup = self._names(run_id)
        # crun keeps state/NAME, runsc state/NAME_sandbox:NAME.state
        if glob.glob(os.path.join(self._state, container)) + glob.glob(
                os.path.join(self._state, container + "_sandbox:*")):
            try:
                subprocess.run(self._runtime + ["delete", "--force", container],
                               capture_output=True, timeout=60, check=False)
            except (OSError, subprocess.SubprocessError):
                pass
        remove_cgroups(cgroup, kill=True)
        shutil.rmtree(bundle, ignore_errors=True)


class LxcPeer(Peer):
    """An unprivileged LXC container per run (lxc-execute, shared config)."""

    def __init__(self, name, description, lxc_execute, workdir):
        super().__init__(name, description)
        self._bin, self._path = os.path.dirname(lxc_execute), os.path.join(workdir, "lxc")
        rootfs, seccomp = os.path.join(workdir, "lxc-rootfs"), os.path.join(workdir, "lxc.seccomp")
        make_rootfs(rootfs)
        os.makedirs(self._path, mode=0o755)
        with open(seccomp, "w", encoding="utf-8") as out:
            out.write(lxc_seccomp())
        binds = ["usr"] + [n for n, target in root_links() if not target]
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
            all_caps = " ".join(map(str, range(int(f.read()) + 1)))  # lxc takes numbers
        lines = [f"lxc.uts.name = {PREFIX}", f"lxc.rootfs.path = dir:{rootfs}",
                 f"lxc.idmap = u 0 {LXC_IDS} {ID_COUNT}", f"lxc.idmap = g 0 {LXC_IDS} {ID_COUNT}",
                 "lxc.net.0.type = empty", "lxc.autodev = 1", "lxc.mount.auto = proc:mixed",
                 "lxc.mount.entry = tmpfs tmp tmpfs nosuid,nodev,mode=1777 0 0",
                 *[f"lxc.mount.entry = /{n} {n} none bind,ro,nosuid,nodev 0 0" for n in binds],
                 "lxc.no_new_privs = 1", f"lxc.cap.drop = {all_caps}",
                 f"lxc.seccomp.profile = {seccomp}", "lxc.prlimit.nofile = 1024",
                 f"lxc.cgroup.dir = {PREFIX}", f"lxc.cgroup.dir.monitor.pivot = {PREFIX}",
                 f"lxc.cgroup.memory.limit_in_bytes = {MEMORY_BYTES}",
                 f"lxc.cgroup.memory.memsw.limit_in_bytes = {MEMORY_BYTES}",
                 f"lxc.cgroup.pids.max = {PIDS_MAX}",
                 f"lxc.cgroup.cpu.cfs_period_us = {CPU_PERIOD_US}",
                 f"lxc.cgroup.cpu.cfs_quota_us = {CPU_PERIOD_US}"]
        self._config = os.path.join(workdir, "lxc.conf")
        with open(self._config, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    def argv(self, command, run_id):
        """lxc-execute with the shared config and the run's container name."""
        return [os.path.join(self._bin, "lxc-execute"), "-P", self._path,
                "-n", f"{PREFIX}-{run_id}", "-f", self._config, "--", *command]

    def cleanup(self, run_id):
        """Kill what is left in the run's cgroups (its container, its
        lxc-execute), remove them and the run's directory under -P."""
        name = f"{PREFIX}-{run_id}"
        for kind in ("payload", "monitor"):
            remove_cgroups(f"{PREFIX}/lxc.{kind}.{name}", kill=True)
        shutil.rmtree(os.path.join(self._path, name), ignore_errors=True)


def self_check(peer):
    """None if `/bin/true` exits 0 in peer, else why not (stderr's first line)."""
    try:
        done = subprocess.run(peer.argv(["/bin/true"], 0), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=120, check=False, text=True, errors="replace")
        return None if done.returncode == 0 else first_line(
            done.stderr, f"/bin/true exited {done.returncode}, no stderr")
    except (OSError, subprocess.SubprocessError) as err:
        return f"self-check failed: {err}"
    finally:
        peer.cleanup(0)


def find_program(name):
    """The path of program name (PATH, then /usr/sbin and /sbin), or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def discover(workdir, cordon):
    """Prepare every peer under workdir (a temp dir the caller owns and removes).

    Returns (peers in a stable order, missing name -> why). A peer is missing
    when its program is not installed or its self-check fails. workdir gets
    search (x) permission for all: the containers' mapped root must reach it.
    """
    found, missing = {}, {}
    os.chmod(workdir, os.stat(workdir).st_mode & 0o7777 | 0o111)
    cordon = os.path.abspath(cordon)
    limits = "cgroup v1 limits (512M, 512 pids, 1 CPU)"
    allowlist = "cordon's default seccomp allowlist"

    def add(name, program, make):
        exe = find_program(program) if program else cordon
        if program and not exe:
            missing[name] = APT_HINT
            return
        if name.startswith("cordon") and not os.access(cordon, os.X_OK):
            missing[name] = f"no executable at {cordon} (build it, or pass --cordon)"
            return
        try:
            peer = make(exe)
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            missing[name] = f"setup failed: {err}"
            return
        why = self_check(peer)
        if why:
            missing[name] = why
        else:
            found[name] = peer

    def crun(exe):
        ns = crun_namespace()
        return OciPeer("crun", "user (65536 IDs at 0x70000000), pid, net, ipc, uts, mount, "
                       f"cgroup namespaces; no caps; {limits}; {allowlist} (OCI profile)"
                       + ("; run through nsenter into a mount ns without the cgroup2 mount "
                          "(crun refuses this hybrid host)" if ns else ""), ns + [exe], workdir)

    def lxc(exe):
        changed = ensure_subids()
        return LxcPeer("lxc", "unprivileged (65536 IDs at 0x70010000): user, pid, net (empty), "
                       f"ipc, uts, mount, cgroup namespaces; no caps; {limits}; {allowlist} "
                       "(LXC profile)" + ("; added UID 0's range to " + " and ".join(changed)
                                          if changed else ""), exe, workdir)

    add("floor", None, lambda exe: Peer("floor", "no isolation: plain fork+exec"))
    add("unshare", "unshare", lambda exe: Peer(
        "unshare", "user (root mapped to the caller, caps kept), mount, pid, ipc, uts, net, "
        "cgroup, time namespaces; the host's root filesystem; no cgroup, no seccomp",
        [exe, "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child",
         "--ipc", "--uts", "--net", "--cgroup", "--time", "--"]))
    add("cordon", None, lambda exe: Peer(
        "cordon", "its defaults: 8 namespaces, ID-mapped userns, no caps, seccomp allowlist, "
        "cgroup limits (512M, 512 pids, 1 CPU)", [exe, "run", "--"]))
    add("cordon-launcher", None, lambda exe: LauncherPeer(exe, workdir))
    add("cordon-no-cgroup", None, lambda exe: Peer(
        "cordon-no-cgroup", "cordon's defaults without the cgroup",
        [exe, "run", "--no-cgroup", "--"]))
    add("bwrap", "bwrap", lambda exe: Peer(
        "bwrap", "user (the caller's ID only, caps kept when root), mount, pid, ipc, uts, net, "
        "cgroup namespaces; no_new_privs; no cgroup, no seccomp",
        bwrap_prefix(exe, ["--"])))
    add("crun", "crun", crun)
    add("runsc", "runsc", lambda exe: OciPeer(
        "runsc", "gVisor, ptrace platform, no network: the command runs on gVisor's own "
        f"kernel under {allowlist} (--oci-seccomp); the sandbox in user, mount, net, ipc, uts "
        f"namespaces with gVisor's host seccomp filter; {limits}", [exe], workdir,
        ["--platform=ptrace", "--network=none", "--oci-seccomp"]))
    add("lxc", "lxc-execute", lxc)
    return found, missing


def time_run(argv):
    """(exit status, elapsed ns) of argv spawned with stdio on /dev/null."""
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
        start = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), time.perf_counter_ns() - start
    finally:
        os.close(devnull)


def leftovers(workdir):
    """What the runs left: cordon-bench cgroups, mounts and processes under workdir."""
    left = glob.glob(os.path.join(CGROUP_ROOT, "*", PREFIX + "*"))
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        left += [line.split()[4] for line in f if workdir in line or PREFIX in line]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(pid) != os.getpid() and (workdir in cmdline or PREFIX + "-" in cmdline):
            left.append(f"process {pid}: {cmdline[:100]}")
    return left


def main(argv=None):
    """Discover the peers, time /bin/true in each, check `sleep 0.2`."""
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description="Prepare the peer sandboxes, print their command lines, time "
                    "/bin/true in each (interleaved; medians) and check sleep 0.2.",
        epilog="Exit status: 0 ok; 1 a run failed or something was left behind.")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per peer (default 30)")
    parser.add_argument("--cordon", default=os.environ.get("CORDON") or os.path.join(
        here, os.pardir, "build", "cmd", "cordon"),
        help="cordon binary (default: $CORDON, else ../build/cmd/cordon from here)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    failed = False
    with tempfile.TemporaryDirectory(prefix=PREFIX + "-") as workdir:
        peers, missing = discover(workdir, args.cordon)
        for name, peer in peers.items():
            print(f"{name}: {peer.description}\n  {shlex.join(peer.argv(['/bin/true'], 0))}")
            peer.cleanup(0)
        for name, why in missing.items():
            print(f"{name}: MISSING: {why}")
        samples = {name: [] for name in peers}
        for rnd in range(args.runs):
            for name, peer in peers.items():
                code, elapsed = time_run(peer.argv(["/bin/true"], rnd))
                peer.cleanup(rnd)
                samples[name].append(elapsed)
                if code != 0:
                    print(f"error: {name}: /bin/true exited {code}", file=sys.stderr)
                    failed = True
        print(f"\n/bin/true, {args.runs} runs each, interleaved:")
        for name, peer in peers.items():
            code, elapsed = time_run(peer.argv(["/bin/sleep", "0.2"], 1))
            peer.cleanup(1)
            ok = code == 0 and elapsed >= 2e8
            failed |= not ok
            print(f"  {name:17} median {statistics.median(samples[name]) / 1e6:8.2f} ms   "
                  f"sleep 0.2: {'ok' if ok else 'FAILED'} ({elapsed / 1e6:.0f} ms, exit {code})")
        _at_exit()
        left = leftovers(workdir)
    print("leftovers: " + ("; ".join(left) if left else "none"))
    return 1 if failed or left else 0


if __name__ == "__main__":
    sys.exit(main())
