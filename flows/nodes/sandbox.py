"""Running user Python in a separate, limited process (code nodes, the agent's code tool).

Each call gets a fresh process and a fresh temporary directory (its working directory,
the only place it may write), an empty environment, and these limits, set between fork
and exec:
- CPU time (RLIMIT_CPU) and a wall-clock timeout (the process group is killed);
- address space (RLIMIT_AS), so a huge allocation is a MemoryError, not a dead worker;
- file size (RLIMIT_FSIZE) and open files (RLIMIT_NOFILE);
- processes (RLIMIT_NPROC = 0: no fork, no threads; root is exempt from that limit, so
  a worker running as root makes the child `nobody` before the code runs);
- no network: a network namespace of its own (unshare(CLONE_NEWNET) as root, or with a user
  namespace when unprivileged ones are allowed), where the OS permits; else only the audit
  hook below stands in the way;
- an audit hook in the child refusing processes, sockets, ctypes and files outside its
  directory (flows/nodes/sandbox_runner.py).
Only the standard library is available (the interpreter runs with -I -S).
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from django.conf import settings

from .base import FatalNodeError

RUNNER = Path(__file__).with_name("sandbox_runner.py")
NOBODY = (65534, 65534)
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_RESULT_BYTES = 16 * 1024 * 1024
MAX_OPEN_FILES = 64
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

CODE_DISABLED = (
    "code nodes are turned off on this server: they run Python on the worker's machine "
    "(in a limited process), so an administrator must allow them with BATON_ALLOW_CODE=1"
)


@dataclass
class SandboxResult:
    ok: bool
    result: Any = None
    stdout: str = ""
    error: str = ""
    traceback: str = ""


def check_allowed() -> None:
    if not settings.BATON_ALLOW_CODE:
        raise FatalNodeError(CODE_DISABLED)


def run_python(
    code: str,
    *,
    mode: Literal["main", "script"] = "main",
    value: Any = None,
    timeout: float = 10.0,
    memory_mb: int | None = None,
) -> SandboxResult:
    """Run `code`: in "main" mode call its main(value) and return what it returns; in
    "script" mode run it and return what it printed. Failures of the code are results
    (ok False); failures of the sandbox itself raise FatalNodeError."""
    check_allowed()
    timeout = max(0.1, min(timeout, settings.BATON_CODE_TIMEOUT_MAX))
    memory = (memory_mb or settings.BATON_CODE_MEMORY_MB) * 1024 * 1024
    workdir = tempfile.mkdtemp(prefix="baton-code-")
    try:
        os.chmod(workdir, 0o700)
        job = {
            "code": code,
            "mode": mode,
            "input": value,
            "drop_to": list(NOBODY) if os.getuid() == 0 else None,
            "readable": _stdlib_dirs(),
        }
        job_path = Path(workdir) / "job.json"
        job_path.write_text(json.dumps(job))
        if os.getuid() == 0:
            os.chown(workdir, *NOBODY)
        with open(Path(workdir) / "stderr.txt", "wb") as err:
            began = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(RUNNER), workdir],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                cwd=workdir,
                env={},
                close_fds=True,
                start_new_session=True,
                preexec_fn=_Limits(math.ceil(timeout) + 1, memory, network_isolation()),
            )
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                return SandboxResult(
                    ok=False, error=f"TimeoutError: the code ran longer than {timeout:g} s and was stopped"
                )
            finally:
                _kill(process)
        return _read_result(workdir, process.returncode, time.monotonic() - began, memory)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _read_result(workdir: str, returncode: int, elapsed: float, memory: int) -> SandboxResult:
    result_path = Path(workdir) / "result.json"
    if returncode < 0 or not result_path.exists():
        return SandboxResult(ok=False, error=_death_message(workdir, returncode, memory))
    if result_path.stat().st_size > MAX_RESULT_BYTES:
        return SandboxResult(ok=False, error=f"the code's result is larger than {MAX_RESULT_BYTES} bytes")
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
    except ValueError:
        return SandboxResult(ok=False, error="the code's process wrote an unreadable result")
    if not data.get("ok"):
        error = data.get("error", "the code failed")
        if error.startswith("MemoryError"):
            error += f" (the memory limit is {memory // (1024 * 1024)} MB)"
        return SandboxResult(ok=False, error=error, traceback=data.get("traceback", ""),
                             stdout=data.get("stdout", ""))
    return SandboxResult(ok=True, result=data.get("result"), stdout=data.get("stdout", ""))


def _death_message(workdir: str, returncode: int, memory: int) -> str:
    if returncode < 0:
        signum = -returncode
        if signum == signal.SIGXCPU:
            return "TimeoutError: the code used up its CPU time and was stopped"
        if signum == signal.SIGKILL:
            return "the code's process was killed (CPU time used up, or the machine ran out of memory)"
        if signum == signal.SIGXFSZ:
            return f"OSError: the code wrote a file larger than {MAX_FILE_BYTES} bytes"
        if signum == signal.SIGSEGV:
            return f"the code's process crashed (out of memory? the limit is {memory // (1024 * 1024)} MB)"
        return f"the code's process was ended by signal {signal.Signals(signum).name}"
    try:
        tail = (Path(workdir) / "stderr.txt").read_text(errors="replace")[-500:].strip()
    except OSError:
        tail = ""
    return f"the code's process ended (exit code {returncode}) without a result" + (f": {tail}" if tail else "")


@lru_cache(maxsize=1)
def _stdlib_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({os.path.realpath(paths[name]) for name in ("stdlib", "platstdlib") if name in paths})


class _Limits:
    """The preexec function: runs in the child between fork and exec. Only system calls
    here (a fork of a threaded worker must not take locks)."""

    def __init__(self, cpu_seconds: int, memory: int, isolation: str):
        self.cpu = cpu_seconds
        self.memory = memory
        self.isolation = isolation
        self.unshare = _libc_unshare() if isolation != "none" else None

    def __call__(self) -> None:
        if self.unshare is not None:
            flags = CLONE_NEWNET if self.isolation == "netns" else CLONE_NEWUSER | CLONE_NEWNET
            self.unshare(flags)
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu, self.cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def _libc_unshare():
    try:
        return ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return None


@lru_cache(maxsize=1)
def network_isolation() -> str:
    """How this machine keeps code off the network: "netns" (root), "userns" (an
    unprivileged user namespace), or "none" (only the audit hook). Tried once per process."""
    if not sys.platform.startswith("linux") or _libc_unshare() is None:
        return "none"
    candidates = ["netns", "userns"] if os.getuid() == 0 else ["userns"]
    for candidate in candidates:
        flags = CLONE_NEWNET if candidate == "netns" else CLONE_NEWUSER | CLONE_NEWNET
        unshare = _libc_unshare()

        def attempt(unshare=unshare, flags=flags) -> None:
            if unshare(flags) != 0:
                raise OSError(ctypes.get_errno(), "unshare failed")

        try:
            probe = subprocess.run(
                [sys.executable, "-I", "-S", "-c", "pass"], preexec_fn=attempt, env={},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=10, close_fds=True,
            )
        except (subprocess.SubprocessError, OSError):
            continue
        if probe.returncode == 0:
            return candidate
    return "none"
