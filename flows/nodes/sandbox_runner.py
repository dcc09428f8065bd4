"""Runs one piece of user code inside the code sandbox (started by flows.nodes.sandbox as
`python -I -S -B sandbox_runner.py <dir>`; this file is never imported by Baton itself).

By the time this runs, the parent has limited the process (CPU time, address space, file
size, process count, open files) and, where the OS allows, put it in a network namespace
of its own. Here, before any user code:
1. read the job from <dir>/job.json;
2. import the standard modules user code may use (after step 3 the interpreter's own
   files may no longer be readable);
3. when started as root, become `nobody` (the process-count limit then applies, and the
   worker's files are out of reach);
4. install an audit hook that refuses processes, sockets, ctypes, and files outside <dir>
   (audit hooks cannot be removed once added).
Then run the code and write <dir>/result.json.
"""

import sys

# Everything below is stdlib; site-packages are not on the path (-S).
import builtins
import io
import json
import os
import traceback

ALLOWED_MODULES = (
    "abc", "array", "base64", "binascii", "bisect", "calendar", "cmath", "collections",
    "collections.abc", "contextlib", "copy", "csv", "dataclasses", "datetime", "decimal",
    "difflib", "enum", "fnmatch", "fractions", "functools", "hashlib", "heapq", "hmac",
    "html", "itertools", "json", "keyword", "math", "numbers", "operator", "pprint",
    "random", "re", "secrets", "statistics", "string", "struct", "textwrap", "time",
    "types", "typing", "unicodedata", "urllib.parse", "warnings", "weakref", "zlib",
)
REFUSED_EVENT_PREFIXES = (
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
    "os.killpg", "os.startfile", "os.setuid", "os.setgid", "os.chroot", "os.putenv",
    "subprocess.", "socket.", "ctypes.", "_ctypes", "pty.", "resource.", "mmap.", "fcntl.",
    "signal.pthread_kill", "sys.setprofile", "sys.settrace", "sys._current_frames",
    "webbrowser.", "urllib.Request", "ftplib.", "smtplib.", "telnetlib.", "http.client.",
    "sqlite3.", "winreg.", "msvcrt.",
)
REFUSED_MODULES = {
    "ctypes", "_ctypes", "socket", "_socket", "ssl", "_ssl", "subprocess", "_posixsubprocess",
    "multiprocessing", "_multiprocessing", "pty", "fcntl", "mmap", "resource", "select",
    "selectors", "asyncio", "threading", "_thread", "signal", "sqlite3", "_sqlite3",
    "importlib.util", "_imp", "marshal",
}
PATH_EVENTS = {
    "os.listdir", "os.scandir", "os.chdir", "os.chmod", "os.chown", "os.mkdir", "os.remove",
    "os.rename", "os.rmdir", "os.symlink", "os.link", "os.truncate", "os.utime", "glob.glob",
    "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move",
    "shutil.rmtree",
}
MAX_PRINTED_CHARS = 1_000_000


class SandboxViolation(PermissionError):
    pass


def main() -> None:
    workdir = os.path.realpath(sys.argv[1])
    with open(os.path.join(workdir, "job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    for name in ALLOWED_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    drop = job.get("drop_to")
    if drop and os.getuid() == 0:
        os.setgroups([])
        os.setgid(drop[1])
        os.setuid(drop[0])
    readable = tuple(os.path.realpath(p) for p in job.get("readable", []))
    sys.addaudithook(_hook(workdir, readable))
    os.chdir(workdir)
    result = run(job)
    with open(os.path.join(workdir, "result.json"), "w", encoding="utf-8") as handle:
        handle.write(result)


def _hook(workdir: str, readable: tuple[str, ...]):
    inside = workdir + os.sep

    def allowed_path(path, write: bool) -> bool:
        if isinstance(path, int):  # an already-open descriptor
            return True
        if isinstance(path, bytes):
            path = path.decode(errors="replace")
        if not isinstance(path, str):
            return False
        full = os.path.realpath(os.path.join(workdir, path))
        if full == workdir or full.startswith(inside):
            return True
        if write:
            return False
        return any(full == root or full.startswith(root + os.sep) for root in readable)

    def hook(event: str, args: tuple) -> None:
        if event.startswith(REFUSED_EVENT_PREFIXES):
            raise SandboxViolation(f"not allowed in a code node: {event}")
        if event == "import":
            module = args[0] if args else ""
            if module in REFUSED_MODULES or module.split(".")[0] in REFUSED_MODULES:
                raise SandboxViolation(f"not allowed in a code node: import {module}")
        elif event == "open":
            path, mode = args[0], args[1] if len(args) > 1 else "r"
            flags = args[2] if len(args) > 2 else 0
            write = bool(mode and any(c in str(mode) for c in "wax+")) or bool(
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if path is not None and not allowed_path(path, write):
                raise SandboxViolation(f"not allowed in a code node: open {path!r}")
        elif event in PATH_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes)) and not allowed_path(path, True):
                    raise SandboxViolation(f"not allowed in a code node: {event} {path!r}")

    return hook


class _Printed(io.TextIOBase):
    """What the code prints, kept up to a limit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.cut = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = MAX_PRINTED_CHARS - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        if len(text) > room:
            self.cut = True
        return len(text)

    def value(self) -> str:
        return "".join(self.parts) + ("\n[output cut]" if self.cut else "")


def run(job: dict) -> str:
    printed = _Printed()
    sys.stdout = sys.stderr = printed
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    try:
        code = compile(job["code"], "<code>", "exec")
        exec(code, namespace)
        if job.get("mode") == "main":
            entry = namespace.get("main")
            if not callable(entry):
                raise NameError("the code must define a function main(input)")
            value = entry(job.get("input"))
            try:
                encoded = json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"main() must return JSON (dicts, lists, strings, numbers): {exc}") from None
            return '{"ok": true, "result": ' + encoded + ', "stdout": ' + json.dumps(printed.value()) + "}"
        return json.dumps({"ok": True, "result": None, "stdout": printed.value()})
    except BaseException as exc:  # noqa: BLE001 - everything the code raises is its answer
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        # Keep the user's frames only: the runner's own are noise.
        user = [line for line in lines if "sandbox_runner.py" not in line]
        return json.dumps({
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(user)[-20000:],
            "stdout": printed.value(),
        })


if __name__ == "__main__":
    main()
