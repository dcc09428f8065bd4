"""Running user Python in a separate, isolated process (code nodes, the agent's code tool).

The boundary is the kernel. Each call runs `python -I -S -B sandbox_runner.py /job` under
bubblewrap (/usr/bin/bwrap) with:
- namespaces of its own: mount, PID, IPC, network (loopback only), UTS and, where the
  kernel has them, cgroup; killed with the worker (--die-with-parent), its own session;
- a root file system holding only the base interpreter, /usr (with the merged-/usr
  symlinks), the runner script and a fresh job directory (the only writable place), plus
  new /proc, /dev and an empty /tmp: no /etc, no app source, no data directory;
- an unprivileged uid without capabilities or new privileges. As root: a fresh random uid
  per job (setpriv inside the sandbox), so RLIMIT_NPROC counts that job's processes only.
  Otherwise: bubblewrap's user namespace (uid 65534 inside), see _bubblewrap_command;
- a seccomp filter refusing new namespaces and a few kernel interfaces nobody's Python needs;
- rlimits set between fork and exec: CPU time, address space (never above the operator's
  BATON_CODE_MEMORY_MB), file size, open files, processes, no core files; and a wall-clock
  timeout that kills the sandbox's init, which takes its whole PID namespace with it.
Inside, the runner's audit hook is a second layer (flows/nodes/sandbox_runner.py).

Why one module of this size: the bubblewrap command, the rlimits and the seccomp filter are
one boundary, and a reviewer must read them together to judge it.

Without bubblewrap or namespaces, code nodes are refused, unless the operator opts out with
BATON_CODE_UNSAFE_NO_ISOLATION=1: then code runs with only the rlimits, a fresh uid (as
root) and the audit hook, which is not a security boundary.

Why one module of this size: the command line, the seccomp filter, the rlimits and the
probe describe one boundary, and reading them side by side is how it is reviewed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import secrets
import shutil
import signal
import stat
import struct
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from django.conf import settings

from .base import FatalNodeError

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
RUNNER = Path(__file__).with_name("sandbox_runner.py")
RUNNER_INSIDE = "/baton/sandbox_runner.py"
JOB_DIR_INSIDE = "/job"
# Fresh uids for jobs when the worker is root: no passwd entry needed, far above real users.
JOB_UIDS = range(200_000, 1_000_000)
NOBODY = 65534
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_RESULT_BYTES = 16 * 1024 * 1024
MAX_OPEN_FILES = 64
# The interpreter itself and nothing more: no fork, no threads. Each extra process would
# get the whole address-space limit again.
MAX_PROCESSES = 1
MAX_STDERR_BYTES = 4096
PROBE_TIMEOUT = 20.0
KILL_GRACE = 5.0

CODE_DISABLED = (
    "code nodes are turned off on this server: they run Python on the worker's machine "
    "(in an isolated process), so an administrator must allow them with BATON_ALLOW_CODE=1"
)
HOW_TO_ISOLATE = (
    "Code nodes run under bubblewrap: install it (apt-get install bubblewrap) and let the "
    "worker create namespaces (as root; or as another user with unprivileged user namespaces "
    "allowed: sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0, and "
    "a container profile that permits them). Or set BATON_CODE_UNSAFE_NO_ISOLATION=1 to run "
    "code with only resource limits and an audit hook, which do not keep it from the machine."
)


@dataclass
class SandboxResult:
    ok: bool
    result: Any = None
    stdout: str = ""
    error: str = ""
    traceback: str = ""


def check_allowed() -> None:
    """Raise FatalNodeError when code may not run here: turned off, or no isolation."""
    if not settings.BATON_ALLOW_CODE:
        raise FatalNodeError(CODE_DISABLED)
    status = isolation_status()
    if status["isolation"] == "none" and not status["unsafe"]:
        raise FatalNodeError(f"code nodes cannot run on this server: {status['problem']}")


def isolation_status() -> dict[str, Any]:
    """How code would run here, for the start banner and /api/health/:
    - isolation: "bubblewrap" (namespaces, the kernel is the boundary) or "none";
    - unsafe: True when code runs without isolation because the operator set
      BATON_CODE_UNSAFE_NO_ISOLATION (only with isolation "none");
    - problem: why bubblewrap cannot be used, with how to fix it (None when it can).
    The probe (one sandboxed interpreter start) runs once per process."""
    problem = _isolation_problem(BWRAP, SETPRIV, _interpreter(), os.geteuid())
    opted_out = bool(getattr(settings, "BATON_CODE_UNSAFE_NO_ISOLATION", False))
    return {
        "isolation": "none" if problem else "bubblewrap",
        "unsafe": bool(problem) and opted_out,
        "problem": problem,
    }


def run_python(
    code: str,
    *,
    mode: Literal["main", "script"] = "main",
    value: Any = None,
    timeout: float = 10.0,
    memory_mb: int | None = None,
    _audit_hook: bool = True,
) -> SandboxResult:
    """Run `code`: in "main" mode call its main(value) and return what it returns; in
    "script" mode run it and return what it printed. Failures of the code are results
    (ok False); failures of the sandbox itself raise FatalNodeError. `_audit_hook=False`
    is for tests only: it shows what the kernel holds by itself."""
    check_allowed()
    timeout = max(0.1, min(timeout, settings.BATON_CODE_TIMEOUT_MAX))
    memory = memory_limit_mb(memory_mb) * 1024 * 1024
    isolated = isolation_status()["isolation"] == "bubblewrap"
    uid = secrets.choice(JOB_UIDS) if os.geteuid() == 0 else None
    # In bubblewrap's user namespace (not root) only the runner, inside it, can set the
    # process limit usefully: see _bubblewrap_command.
    runner_limits_processes = isolated and uid is None
    job = {
        "code": code, "mode": mode, "input": value, "audit_hook": _audit_hook,
        "prefix": sys.base_prefix, "readable": _stdlib_dirs(),
        "nproc": MAX_PROCESSES if runner_limits_processes else None,
        "drop_to": None if isolated else uid,
    }
    limits = _Limits(
        math.ceil(timeout) + 1, memory, None if runner_limits_processes else MAX_PROCESSES
    )
    workdir = tempfile.mkdtemp(prefix="baton-code-")
    try:
        _prepare_workdir(workdir, job, uid)
        returncode, output = _start(_job_command(workdir, uid, isolated), workdir, timeout,
                                    limits, isolated)
        if returncode is None:
            return SandboxResult(
                ok=False,
                error=f"TimeoutError: the code ran longer than {timeout:g} s and was stopped",
            )
        if isolated and returncode > 128:
            returncode = 128 - returncode  # bwrap exits with 128 + the signal of its child
        return _read_result(workdir, returncode, output, memory)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def memory_limit_mb(requested_mb: int | None) -> int:
    """A node may ask for less memory than the operator's cap, never for more."""
    cap = settings.BATON_CODE_MEMORY_MB
    return min(requested_mb, cap) if requested_mb else cap


def _prepare_workdir(workdir: str, job: dict, uid: int | None) -> None:
    os.chmod(workdir, 0o700)
    job_path = Path(workdir) / "job.json"
    job_path.write_text(json.dumps(job))
    if uid is not None:
        os.chown(job_path, uid, uid)
        os.chown(workdir, uid, uid)


def _job_command(workdir: str, uid: int | None, isolated: bool) -> list[str]:
    if not isolated:
        return [_interpreter(), "-I", "-S", "-B", str(RUNNER), workdir]
    program = [_interpreter(), "-I", "-S", "-B", RUNNER_INSIDE, JOB_DIR_INSIDE]
    return _bubblewrap_command(workdir, uid, program)


def _start(
    command: list[str], workdir: str, timeout: float, limits: _Limits, sandboxed: bool
) -> tuple[int | None, str]:
    """Run the command; (its exit code, or None on timeout, and the tail of its output)."""
    with _bubblewrap_pipes(sandboxed) as pipes:
        if sandboxed:
            command = [command[0], *pipes.arguments(), *command[1:]]
        # Output goes to a file of the parent's, not to the job directory, where the code
        # could swap it for a link to any file the worker can read.
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, cwd=workdir,
                env={}, close_fds=True, pass_fds=pipes.for_child(), start_new_session=True,
                preexec_fn=limits,  # noqa: PLW1509 - rlimits must be set between fork and exec
            )
            pipes.started()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _stop_sandbox(pipes.sandbox_pid(), process)
                return None, ""
            finally:
                _kill(process)
            return process.returncode, _tail(output)


class _BubblewrapPipes:
    """The descriptors bwrap reads its seccomp filter from (--seccomp) and writes the host
    PID of the sandbox's init to (--info-fd)."""

    def __init__(self, sandboxed: bool):
        self.seccomp: int | None = None
        self.info_read: int | None = None
        self.info_write: int | None = None
        program = _seccomp_program() if sandboxed else None
        if program is not None:
            self.seccomp, write_end = os.pipe()
            os.write(write_end, program)  # a few hundred bytes: the pipe's buffer holds them
            os.close(write_end)
        if sandboxed:
            self.info_read, self.info_write = os.pipe()

    def arguments(self) -> list[str]:
        arguments = ["--info-fd", str(self.info_write)]
        return arguments + (["--seccomp", str(self.seccomp)] if self.seccomp is not None else [])

    def for_child(self) -> tuple[int, ...]:
        return tuple(fd for fd in (self.seccomp, self.info_write) if fd is not None)

    def started(self) -> None:
        """The child has its copies."""
        self._close("seccomp")
        self._close("info_write")

    def sandbox_pid(self) -> int | None:
        if self.info_read is None:
            return None
        os.set_blocking(self.info_read, False)
        try:
            return int(json.loads(os.read(self.info_read, 4096))["child-pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # bwrap had not started the sandbox yet

    def close(self) -> None:
        for name in ("seccomp", "info_read", "info_write"):
            self._close(name)

    def _close(self, name: str) -> None:
        descriptor = getattr(self, name)
        if descriptor is not None:
            os.close(descriptor)
            setattr(self, name, None)


@contextmanager
def _bubblewrap_pipes(sandboxed: bool) -> Iterator[_BubblewrapPipes]:
    pipes = _BubblewrapPipes(sandboxed)
    try:
        yield pipes
    finally:
        pipes.close()


def _stop_sandbox(init_pid: int | None, bwrap: subprocess.Popen) -> None:
    """Kill the sandbox's init: the kernel then kills every process in its PID namespace
    and reaps them before the init is gone, and bwrap exits once it is. Killing bwrap
    first would leave them to die a moment later, of --die-with-parent."""
    if init_pid is None:
        return
    try:
        os.kill(init_pid, signal.SIGKILL)
        bwrap.wait(KILL_GRACE)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass  # _kill ends bwrap


def _tail(output: IO[bytes]) -> str:
    size = output.seek(0, os.SEEK_END)
    output.seek(max(0, size - MAX_STDERR_BYTES))
    return output.read().decode(errors="replace")[-500:].strip()


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _read_result(workdir: str, returncode: int, output: str, memory: int) -> SandboxResult:
    raw = _read_result_file(Path(workdir) / "result.json") if returncode >= 0 else None
    if raw is None:
        return SandboxResult(ok=False, error=_death_message(returncode, output, memory))
    if len(raw) > MAX_RESULT_BYTES:
        return SandboxResult(
            ok=False, error=f"the code's result is larger than {MAX_RESULT_BYTES} bytes"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return SandboxResult(ok=False, error="the code's process wrote an unreadable result")
    if not isinstance(data, dict):
        return SandboxResult(ok=False, error="the code's process wrote an unreadable result")
    if not data.get("ok"):
        error = str(data.get("error", "the code failed"))
        if error.startswith("MemoryError"):
            error += f" (the memory limit is {memory // (1024 * 1024)} MB)"
        return SandboxResult(ok=False, error=error, traceback=str(data.get("traceback", "")),
                             stdout=str(data.get("stdout", "")))
    return SandboxResult(ok=True, result=data.get("result"), stdout=str(data.get("stdout", "")))


def _read_result_file(path: Path) -> bytes | None:
    """The result file's bytes, or None. The code owns the job directory: the name may be
    a link to a file only the worker can read, or a FIFO that would block the worker."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return handle.read(MAX_RESULT_BYTES + 1)


def _death_message(returncode: int, output: str, memory: int) -> str:
    if returncode >= 0:
        ending = f": {output}" if output else ""
        return f"the code's process ended (exit code {returncode}) without a result{ending}"
    signum = -returncode
    if signum == signal.SIGXCPU:
        return "TimeoutError: the code used up its CPU time and was stopped"
    if signum == signal.SIGKILL:
        return "the code's process was killed (CPU time used up, or the machine ran out of memory)"
    if signum == signal.SIGXFSZ:
        return f"OSError: the code wrote a file larger than {MAX_FILE_BYTES} bytes"
    if signum == signal.SIGSEGV:
        limit = memory // (1024 * 1024)
        return f"the code's process crashed (out of memory? the limit is {limit} MB)"
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = str(signum)
    return f"the code's process was ended by signal {name}"


# --- The sandbox's command line ---------------------------------------------------------------


def _interpreter() -> str:
    """The base interpreter: a virtualenv's python is a link into a tree we do not mount."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


@lru_cache(maxsize=1)
def _stdlib_dirs() -> list[str]:
    """The base interpreter's standard library (in a virtualenv, sysconfig's platstdlib
    would be the virtualenv's, with the app's packages)."""
    bases = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix,
             "installed_base": sys.base_prefix, "installed_platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=bases)
    return sorted({os.path.realpath(paths[name]) for name in ("stdlib", "platstdlib")})


def _bubblewrap_command(workdir: str, uid: int | None, program: list[str]) -> list[str]:
    """bwrap's arguments around `program`. `uid` is the job's uid when the worker is root."""
    command = [
        BWRAP,
        "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox",
    ]
    if uid is None:
        # Not root: bubblewrap needs a user namespace, and uid 65534 inside is the worker's
        # own uid outside. RLIMIT_NPROC set before bwrap would count all of the worker user's
        # processes (and stop bwrap itself), so the runner sets it inside, where the kernel
        # counts per user namespace: the limit then covers this job's processes (bwrap's
        # init included).
        command += ["--unshare-user", "--disable-userns"]
        command += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
    command += _system_mounts()
    for path in _interpreter_paths():
        command += [*_traversable_parents(path), "--ro-bind", path, path]
    command += [
        *_traversable_parents(RUNNER_INSIDE), "--ro-bind", str(RUNNER), RUNNER_INSIDE,
        "--bind", workdir, JOB_DIR_INSIDE,
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--remount-ro", "/",
        "--chdir", JOB_DIR_INSIDE,
    ]
    if uid is not None:
        # bwrap runs as root without a user namespace (in one, the job's uid would be root
        # outside and exempt from RLIMIT_NPROC); setpriv drops to the job's uid inside.
        command += [
            SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--",
        ]
    return command + program


def _system_mounts() -> list[str]:
    """/usr read-only, and the top-level directories Debian's merged /usr makes links."""
    mounts = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            mounts += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            mounts += ["--ro-bind", name, name]
    return mounts


def _interpreter_paths() -> list[str]:
    """What to mount, at the same paths, for the base interpreter to find itself (its
    RUNPATH and sys.prefix are absolute paths)."""
    paths: list[str] = []
    for path in (sys.base_prefix, sys.base_exec_prefix, _interpreter()):
        path = os.path.realpath(path)
        if not any(path == seen or path.startswith(seen + "/") for seen in ["/usr", *paths]):
            paths.append(path)
    return paths


def _traversable_parents(path: str) -> list[str]:
    """bwrap makes missing parents of a mount point with the source's modes (here /root is
    0700), so an unprivileged uid could not reach the interpreter. Made 0755 first."""
    parents = []
    parent = os.path.dirname(path)
    while parent not in ("/", "") and not parent.startswith("/usr"):
        parents.append(parent)
        parent = os.path.dirname(parent)
    return [
        arg for directory in reversed(parents) for arg in ("--perms", "0755", "--dir", directory)
    ]


# --- The seccomp filter -------------------------------------------------------------------------
# A classic BPF program for seccomp (bwrap --seccomp FD). It refuses (EPERM) system calls that
# open kernel attack surface or new namespaces: in a user namespace of its own the code would
# hold every capability over it. clone3 answers ENOSYS, so the C library falls back to clone,
# whose namespace flags the filter can see.

_SECCOMP_ARCHES = {
    # machine: (AUDIT_ARCH_*, clone, clone3, refused numbers, lowest number of another ABI).
    # Refused: unshare, setns, ptrace, bpf, perf_event_open, userfaultfd, keyctl, add_key,
    # request_key, io_uring_setup/enter/register, open_by_handle_at.
    "x86_64": (
        0xC000003E, 56, 435,
        (272, 308, 101, 321, 298, 323, 250, 248, 249, 425, 426, 427, 304), 0x40000000,
    ),
    "aarch64": (
        0xC00000B7, 220, 435,
        (97, 268, 117, 280, 241, 282, 219, 217, 218, 425, 426, 427, 265), None,
    ),
}
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_CLONE_NAMESPACE_FLAGS = 0x7E020080
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL_PROCESS, _ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM, _ENOSYS = 1, 38


@lru_cache(maxsize=1)
def _seccomp_program() -> bytes | None:
    """The filter for this machine, or None on an architecture it does not know (there
    the namespaces, uid and rlimits still hold)."""
    arch = _SECCOMP_ARCHES.get(platform.machine())
    if arch is None:
        return None
    audit_arch, clone, clone3, refused, foreign_abi = arch
    # Jumps are counted in instructions; the last three are the shared answers.
    body: list[tuple[int, int | str, int | str, int]] = [
        (_LD_ABS_W, 0, 0, 4),                            # the architecture
        (_JEQ, 1, 0, audit_arch),
        (_RET, 0, 0, _KILL_PROCESS),                     # 32-bit calls on a 64-bit kernel
        (_LD_ABS_W, 0, 0, 0),                            # the system call's number
    ]
    if foreign_abi is not None:
        body.append((_JGE, "deny", 0, foreign_abi))      # x32
    body += [(_JEQ, "deny", 0, number) for number in refused]
    body += [
        (_JEQ, "nosys", 0, clone3),
        (_JEQ, 0, 2, clone),
        (_LD_ABS_W, 0, 0, 16),                           # clone's flags (low 32 bits)
        (_JSET, "deny", 0, _CLONE_NAMESPACE_FLAGS),
        (_RET, 0, 0, _ALLOW),
        (_RET, 0, 0, _ERRNO | _EPERM),
        (_RET, 0, 0, _ERRNO | _ENOSYS),
    ]
    targets = {"deny": len(body) - 2, "nosys": len(body) - 1}

    def jump(target: int | str, index: int) -> int:
        return target if isinstance(target, int) else targets[target] - index - 1

    return b"".join(
        struct.pack("=HBBI", code, jump(true, index), jump(false, index), k)
        for index, (code, true, false, k) in enumerate(body)
    )


# --- Whether bubblewrap works here --------------------------------------------------------------


@lru_cache(maxsize=8)
def _isolation_problem(bwrap: str, setpriv: str, interpreter: str, euid: int) -> str | None:
    """None when a sandboxed interpreter starts here, else what is wrong and how to fix it.
    The arguments are the cache's key: tests point BWRAP elsewhere."""
    if not sys.platform.startswith("linux"):
        return f"code isolation needs Linux namespaces (this is {sys.platform}). {HOW_TO_ISOLATE}"
    if not os.access(bwrap, os.X_OK):
        return f"bubblewrap is not installed ({bwrap} is missing). {HOW_TO_ISOLATE}"
    if euid == 0 and not os.access(setpriv, os.X_OK):
        return f"setpriv (util-linux) is not installed ({setpriv} is missing). {HOW_TO_ISOLATE}"
    exposed = _exposed_app_paths()
    if exposed:
        return (f"the interpreter's directory {exposed} holds Baton's own files, which code "
                f"would see: run the worker with a Python installed elsewhere. {HOW_TO_ISOLATE}")
    return _probe(euid)


def _exposed_app_paths() -> str | None:
    for mounted in _interpreter_paths():
        for private in (settings.BASE_DIR, settings.DATA_DIR):
            private = os.path.realpath(private)
            if private == mounted or private.startswith(mounted + "/"):
                return mounted
    return None


def _probe(euid: int) -> str | None:
    workdir = tempfile.mkdtemp(prefix="baton-code-probe-")
    uid = secrets.choice(JOB_UIDS) if euid == 0 else None
    try:
        if uid is not None:
            os.chown(workdir, uid, uid)
        program = [_interpreter(), "-I", "-S", "-B", "-c", "import sys; print(sys.prefix)"]
        command = _bubblewrap_command(workdir, uid, program)
        limits = _Limits(int(PROBE_TIMEOUT), 0, None)
        returncode, output = _start(command, workdir, PROBE_TIMEOUT, limits, True)
    except OSError as exc:
        return f"bubblewrap could not be started ({exc}). {HOW_TO_ISOLATE}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if returncode is None:
        return f"bubblewrap did not start a sandbox within {PROBE_TIMEOUT:g} s. {HOW_TO_ISOLATE}"
    if returncode != 0:
        reason = output or f"exit code {returncode}"
        return f"bubblewrap could not start a sandbox ({reason}). {HOW_TO_ISOLATE}"
    if output.strip() != sys.base_prefix:
        return (f"the interpreter in the sandbox did not find its own files (sys.prefix "
                f"{output.strip()!r}, expected {sys.base_prefix!r}). {HOW_TO_ISOLATE}")
    return None


class _Limits:
    """The preexec function: runs in the child between fork and exec (of bwrap, or of the
    interpreter without isolation). Only system calls here: a fork of a threaded worker
    must not take locks. A memory of 0 leaves the address space alone (the probe)."""

    def __init__(self, cpu_seconds: int, memory: int, processes: int | None):
        self.cpu = cpu_seconds
        self.memory = memory
        self.processes = processes

    def __call__(self) -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu, self.cpu + 1))
        if self.memory:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.processes is not None:
            # Root (bwrap, setpriv) is exempt; the job's fresh uid is not, and has no other
            # process on the machine.
            resource.setrlimit(resource.RLIMIT_NPROC, (self.processes, self.processes))
