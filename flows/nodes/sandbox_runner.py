"""Runs one piece of user code inside the code sandbox (started by flows.nodes.sandbox as
`python -I -S -B sandbox_runner.py <dir>`; this file is never imported by Baton itself).

The security boundary is the kernel, not this file. Normally this process runs under
bubblewrap: namespaces of its own (mount, PID, IPC, network, UTS), a root file system that
holds only the interpreter, /usr and <dir>, an unprivileged uid with no capabilities and no
new privileges, a seccomp filter, and rlimits set by the parent (see flows.nodes.sandbox).

The audit hook installed here is defence in depth. An audit hook lives in the same process
as the code it watches, so it can never be a boundary on its own (bytecode or memory
tricks get past any of them); it is written so that the known ways around it do not work:
- the runner is not reachable as sys.modules['__main__']: the code gets a fresh module;
- the hook keeps its data in its closure as immutable values, and calls only C functions
  bound before the code runs, so rewriting modules, builtins or globals changes nothing
  it uses (an earlier runner kept its rules in module globals and was switched off that way);
- gc, bytecode construction and frame access (sys._getframe, tb_frame, gi_frame, ...) are
  refused, so the code can reach neither the hook nor the runner's locals. Frame refusals
  are ValueErrors too, which the standard library already expects (namedtuple, enum and
  typing fall back gracefully). Once the code has finished, the runner switches the hook
  to allow frame access (with a random token only it holds) to format the traceback; from
  then on it calls only C functions bound at the start, so no code of the user's runs.

Steps, before any user code: read <dir>/job.json; check that this is Baton's interpreter;
set the process limit when the parent could not; import the modules user code may use;
become the job's uid when started as root without bubblewrap; forget refused modules;
install the hook. Then run the code and write <dir>/result.json.
"""

# Only the standard library: site-packages are not on the path (-S).
import builtins
import gc
import io
import json
import os
import posix
import resource
import sys
import types
from _json import encode_basestring_ascii as _quote

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
    "signal.pthread_kill", "sys.setprofile", "sys.settrace", "sys.addaudithook",
    "webbrowser.", "urllib.Request", "ftplib.", "smtplib.", "telnetlib.", "http.client.",
    "sqlite3.", "winreg.", "msvcrt.", "gc.", "code.__new__",
)
REFUSED_MODULES = frozenset({
    "ctypes", "_ctypes", "socket", "_socket", "ssl", "_ssl", "subprocess", "_posixsubprocess",
    "multiprocessing", "_multiprocessing", "pty", "fcntl", "mmap", "resource", "select",
    "selectors", "asyncio", "threading", "_thread", "signal", "_signal", "sqlite3", "_sqlite3",
    "importlib.util", "_imp", "marshal", "gc", "inspect",
})
PATH_EVENTS = frozenset({
    "os.listdir", "os.scandir", "os.chdir", "os.chmod", "os.chown", "os.mkdir", "os.remove",
    "os.rename", "os.rmdir", "os.symlink", "os.link", "os.truncate", "os.utime", "glob.glob",
    "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move",
    "shutil.rmtree",
})
# What CPython 3.11 audits on the way to a frame: sys._getframe and sys._current_frames
# as events, the frame attributes of tracebacks, generators and coroutines as
# object.__getattr__ (tb_next, f_back and f_globals are not audited: without a first
# frame there is nothing to call them on).
FRAME_EVENTS = frozenset({"sys._getframe", "sys._current_frames"})
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code"})
REPORT_EVENT = "baton.report"
MAX_PRINTED_CHARS = 1_000_000
MAX_FRAMES = 100
MAX_CHAINED = 10
CAUSE_LINK = "The above exception was the direct cause of the following exception:"
CONTEXT_LINK = "During handling of the above exception, another exception occurred:"
RESULT_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW

# Bound while the runner is still alone: the code may rebind the names in their modules
# and in builtins, and the runner goes on using these once the code has run.
_len, _id, _type, _str, _callable = len, id, type, str, callable
_open = posix.open
_write = posix.write
_close = posix.close
_exit = posix._exit
_audit = sys.audit
_gc_disable = gc.disable
_TracebackType = types.TracebackType
_TRACEBACK = BaseException.__traceback__
_CAUSE = BaseException.__cause__
_CONTEXT = BaseException.__context__
_SUPPRESS_CONTEXT = BaseException.__suppress_context__
_TYPE_NAME = type.__dict__["__name__"]


class SandboxViolation(PermissionError):
    pass


class FrameAccessRefused(SandboxViolation, ValueError):
    pass


def main() -> None:
    workdir = os.path.realpath(sys.argv[1])
    with open(os.path.join(workdir, "job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    _check_interpreter(job.get("prefix"))
    if job.get("nproc") is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (job["nproc"], job["nproc"]))
    for name in ALLOWED_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    if job.get("drop_to") is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(job["drop_to"])
        os.setuid(job["drop_to"])
    for name in [name for name in sys.modules if name.split(".")[0] in REFUSED_MODULES]:
        del sys.modules[name]
    token = os.urandom(32)
    if job.get("audit_hook", True):
        readable = tuple(os.path.realpath(path) for path in job.get("readable", []))
        sys.addaudithook(_make_hook(workdir, readable, token))
    os.chdir(workdir)
    keep_alive: list = []
    result = run(job, token, keep_alive)
    _write_result(workdir + "/result.json", result.encode("utf-8"))
    # No interpreter shutdown: it would run the code's finalizers and atexit functions.
    _exit(0)


def _check_interpreter(prefix: str | None) -> None:
    # Without access to its own files, CPython falls back to /usr and would quietly run
    # with another Python's standard library.
    if prefix and sys.prefix != prefix:
        raise SystemExit(f"the sandbox's interpreter has sys.prefix {sys.prefix!r}, not {prefix!r}")


def _make_hook(workdir: str, readable: tuple[str, ...], token: bytes):
    """The audit hook. Every name it uses is a local of this function (so a closure cell
    of the hook) bound to an immutable value or a C function, never a global."""
    refused_prefixes = tuple(REFUSED_EVENT_PREFIXES)
    refused_modules = frozenset(REFUSED_MODULES)
    path_events = frozenset(PATH_EVENTS)
    frame_events = frozenset(FRAME_EVENTS)
    frame_attributes = frozenset(FRAME_ATTRIBUTES)
    report_event = REPORT_EVENT
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    roots = ((workdir, True),) + tuple((root, False) for root in readable)
    exact_type, is_subclass, length = type, issubclass, len
    str_type, bytes_type, int_type = str, bytes, int
    as_str, decode = str.__str__, bytes.decode
    starts_with, split, join, contains = str.startswith, str.split, str.join, str.__contains__
    readlink, getcwd = posix.readlink, posix.getcwd
    os_error, violation, frame_refused = OSError, SandboxViolation, FrameAccessRefused
    reporting = [False]

    def text_of(value) -> str | None:
        # A str subclass could override every method; str.__str__ makes a plain copy.
        kind = exact_type(value)
        if is_subclass(kind, str_type):
            return as_str(value)
        if is_subclass(kind, bytes_type):
            return decode(value, "utf-8", "surrogateescape")
        return None

    def resolve(path: str) -> str | None:
        """The absolute path the kernel would open, symbolic links followed."""
        if not starts_with(path, "/"):
            path = getcwd() + "/" + path
        pending = split(path, "/")[::-1]
        parts: list[str] = []
        links = 0
        while pending:
            name = pending.pop()
            if name == "" or name == ".":
                continue
            if name == "..":
                if parts:
                    parts.pop()
                continue
            try:
                target = readlink("/" + join("/", parts + [name]))
            except os_error:  # not a link, or missing: taken as written
                parts.append(name)
                continue
            links += 1
            if links > 40:
                return None
            if starts_with(target, "/"):
                parts = []
            pending.extend(split(target, "/")[::-1])
        return "/" + join("/", parts)

    def allowed(path, write: bool) -> bool:
        if exact_type(path) is int_type:  # an already-open descriptor
            return True
        text = text_of(path)
        if text is None or contains(text, "\0"):
            return False  # path-like objects could name another file when opened
        full = resolve(text)
        if full is None:
            return False
        for root, writable in roots:
            if (writable or not write) and (full == root or starts_with(full, root + "/")):
                return True
        return False

    def refuse_frame_access(what: str) -> None:
        if not reporting[0]:
            raise frame_refused(f"not allowed in a code node: frame access ({what})")

    def hook(event, args) -> None:
        event = as_str(event)
        if event == report_event:
            if length(args) == 1 and exact_type(args[0]) is bytes_type and args[0] == token:
                reporting[0] = True
            return
        if event in frame_events:
            refuse_frame_access(event)
        elif event == "object.__getattr__" and length(args) > 1:
            name = text_of(args[1])
            if name in frame_attributes:
                refuse_frame_access(name)
        elif starts_with(event, refused_prefixes):
            raise violation(f"not allowed in a code node: {event}")
        elif event == "import":
            module = text_of(args[0]) if args else None
            package = split(module, ".")[0] if module is not None else None
            if module is None or module in refused_modules or package in refused_modules:
                raise violation(f"not allowed in a code node: import {module}")
        elif event == "open":
            path = args[0] if args else None
            mode = text_of(args[1]) if length(args) > 1 else None
            flags = args[2] if length(args) > 2 else 0
            write = False
            if mode is not None:
                for letter in "wax+":
                    write = write or contains(mode, letter)
            if exact_type(flags) is int_type:
                write = write or (flags & write_flags) != 0
            if path is not None and not allowed(path, write):
                raise violation(f"not allowed in a code node: open {text_of(path)!r}")
        elif event in path_events:
            for path in args[:2]:
                if text_of(path) is not None and not allowed(path, True):
                    raise violation(f"not allowed in a code node: {event} {text_of(path)!r}")

    return hook


def run(job: dict, token: bytes, keep_alive: list) -> str:
    """Run the code; return result.json's text. `keep_alive` holds on to the code's objects
    until the process ends, so none of their finalizers runs after the code has finished."""
    printed = io.StringIO()
    streams = (sys.stdout, sys.stderr, sys.excepthook)
    builtin_names = dict(builtins.__dict__)
    sys.stdout = sys.stderr = printed
    module = types.ModuleType("__main__")
    module.__builtins__ = builtins
    # The runner stays out of reach: the code's module takes its place as __main__.
    keep_alive.extend((sys.modules["__main__"], module))
    sys.modules["__main__"] = module
    try:
        exec(compile(job["code"], "<code>", "exec"), module.__dict__)  # noqa: S102 - the job
        if job.get("mode") == "main":
            entry = module.__dict__.get("main")
            if not _callable(entry):
                raise NameError("the code must define a function main(input)")
            value = entry(job.get("input"))
            keep_alive.append(value)
            try:
                encoded = json.dumps(value)
            except (TypeError, ValueError) as exc:
                message = f"main() must return JSON (dicts, lists, strings, numbers): {exc}"
                raise TypeError(message) from None
        else:
            encoded = "null"
        stdout = _printed_text(printed)
        _restore(streams, builtin_names)
        return '{"ok": true, "result": ' + encoded + ', "stdout": ' + _quote(stdout) + "}"
    except BaseException as exc:  # noqa: BLE001 - everything the code raises is its answer
        keep_alive.append(exc)
        error = f"{_TYPE_NAME.__get__(_type(exc))}: {_text(exc)}"
        chain = _exception_chain(exc, keep_alive)
        stdout = _printed_text(printed)
        _gc_disable()  # from here, a collection could run the code's finalizers
        _restore(streams, builtin_names)
        _audit(REPORT_EVENT, token)
        trace = _format_chain(chain, job["code"])
        return (
            '{"ok": false, "error": ' + _quote(error) + ', "traceback": ' + _quote(trace[-20000:])
            + ', "stdout": ' + _quote(stdout) + "}"
        )


def _printed_text(printed: io.StringIO) -> str:
    text = printed.getvalue()
    if _len(text) > MAX_PRINTED_CHARS:
        return text[:MAX_PRINTED_CHARS] + "\n[output cut]"
    return text


def _restore(streams: tuple, builtin_names: dict) -> None:
    """Undo what the code may have rebound that the runner uses from here on."""
    builtins.__dict__.clear()
    builtins.__dict__.update(builtin_names)
    sys.stdout, sys.stderr, sys.excepthook = streams


def _text(exc: BaseException) -> str:
    try:
        return _str(exc)
    except BaseException:  # noqa: BLE001 - the code's own __str__ may fail
        return "<the exception cannot be shown>"


def _exception_chain(exc: BaseException, keep_alive: list) -> list[tuple[str, list, str]]:
    """(heading, traceback objects, how it led to the next one), oldest first. Read through
    BaseException's own descriptors: an exception class of the code may override them."""
    chain: list[tuple[str, list, str]] = []
    link = ""
    seen: dict[int, bool] = {}
    current: BaseException | None = exc
    while current is not None and _id(current) not in seen and _len(chain) < MAX_CHAINED:
        seen[_id(current)] = True
        keep_alive.append(current)
        heading = f"{_TYPE_NAME.__get__(_type(current))}: {_text(current)}"
        chain.append((heading, _tracebacks(_TRACEBACK.__get__(current)), link))
        cause = _CAUSE.__get__(current)
        context = _CONTEXT.__get__(current)
        if cause is not None:
            current, link = cause, CAUSE_LINK
        elif context is not None and not _SUPPRESS_CONTEXT.__get__(current):
            current, link = context, CONTEXT_LINK
        else:
            current = None
    return chain[::-1]


def _tracebacks(tb: _TracebackType | None) -> list:
    entries = []
    while _type(tb) is _TracebackType:
        entries.append(tb)
        tb = tb.tb_next
    return entries[-MAX_FRAMES:]


def _format_chain(chain: list[tuple[str, list, str]], source: str) -> str:
    """Runs with frame access allowed: only C functions, and names bound at the start."""
    lines = source.splitlines()
    parts: list[str] = []
    for heading, entries, link in chain:
        parts.append("Traceback (most recent call last):\n")
        for tb in entries:
            code = tb.tb_frame.f_code
            if code.co_filename.endswith("sandbox_runner.py"):
                continue  # the runner's own frames are noise
            parts.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}\n')
            if code.co_filename == "<code>" and 0 < tb.tb_lineno <= _len(lines):
                parts.append(f"    {lines[tb.tb_lineno - 1].strip()}\n")
        parts.append(heading + "\n")
        if link:
            parts.append(f"\n{link}\n\n")
    return "".join(parts)


def _write_result(path: str, data: bytes) -> None:
    descriptor = _open(path, RESULT_FLAGS, 0o644)
    try:
        while data:
            data = data[_write(descriptor, data):]
    finally:
        _close(descriptor)


if __name__ == "__main__":
    main()
