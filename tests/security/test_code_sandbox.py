"""Escapes from the code sandbox (flows/nodes/sandbox.py) fail: with the audit hook, and with
the kernel's isolation alone (`_audit_hook=False`), which is the actual boundary.

Each attack's code returns what it managed to see, so a failure shows how far it got.
(One module: every escape tried on the one boundary.)"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
import types
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from flows.nodes import sandbox
from flows.nodes.base import FatalNodeError
from flows.nodes.code import CodeNode

APP_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def code_on(settings):
    settings.BATON_ALLOW_CODE = True
    settings.BATON_CODE_UNSAFE_NO_ISOLATION = False
    status = sandbox.isolation_status()
    assert status["isolation"] == "bubblewrap", f"these tests need bubblewrap: {status['problem']}"
    return settings


@pytest.fixture(params=[True, False], ids=["with-audit-hook", "kernel-only"])
def audit_hook(request, code_on) -> bool:
    return request.param


def run(code: str, audit_hook: bool, **kwargs) -> sandbox.SandboxResult:
    return sandbox.run_python(code, _audit_hook=audit_hook, **kwargs)


def seen(code: str, audit_hook: bool, value=None, **kwargs) -> dict:
    """Run attack code whose main returns a dict of findings; it must finish."""
    result = run(code, audit_hook, value=value, **kwargs)
    assert result.ok, f"{result.error}\n{result.traceback}"
    return result.result


# What the attacker showed first: the runner was sys.modules['__main__'], and the hook read
# its rules (and `os`) from the runner's globals at each call. Rewritten, they let anything by.
DISARM = """
import sys as _sys, os as _os, types as _types
def _disarm():
    runner = _sys.modules['__main__']
    here = _os.getcwd()
    runner.REFUSED_MODULES = set()
    runner.REFUSED_EVENT_PREFIXES = ()
    runner.PATH_EVENTS = set()
    fake_os = _types.SimpleNamespace(**vars(_os))
    fake_os.path = _types.SimpleNamespace(**vars(_os.path))
    fake_os.path.realpath = lambda path: here  # every path is "inside"
    fake_os.O_WRONLY = fake_os.O_RDWR = fake_os.O_CREAT = 0
    runner.os = fake_os
_disarm()
"""


def attack(code: str, audit_hook: bool, value=None, **kwargs) -> dict:
    """`seen`, after trying to switch the audit hook off as the attacker did."""
    return seen(DISARM + code, audit_hook, value=value, **kwargs)


MAIN_BYPASS = DISARM + """
def main(input):
    return open('/etc/passwd').read()
"""


def test_the_runner_is_not_reachable_as_main(audit_hook):
    found = seen(
        "import sys\n"
        "def main(input):\n"
        "    runner = sys.modules['__main__']\n"
        "    names = ('REFUSED_MODULES', 'REFUSED_EVENT_PREFIXES', 'os', '_make_hook', 'run')\n"
        "    return {'names': [n for n in names if hasattr(runner, n)],\n"
        "            'own': sorted(vars(runner))}",
        audit_hook,
    )
    assert found["names"] == []
    assert "main" in found["own"]  # the code's own module


def test_it_rewriting_the_runners_rules_through_main_does_not_open_etc_passwd(audit_hook):
    result = run(MAIN_BYPASS, audit_hook)
    assert not result.ok
    assert "root:" not in repr(result)
    assert result.error.startswith(("SandboxViolation", "FileNotFoundError")), result.error


INTROSPECTION = """
import sys
def attempt(name, action, found):
    try:
        found[name] = repr(action())[:200]
    except BaseException as exc:
        found[name] = 'refused: ' + type(exc).__name__
def first_frame():
    try:
        1 / 0
    except ZeroDivisionError as exc:
        return exc.__traceback__.tb_frame
def disable_hook_through_gc(gc):
    hooks = [o for o in gc.get_objects() if getattr(o, '__name__', '') == 'hook']
    for hook in hooks:
        for cell in hook.__closure__ or ():
            try:
                cell.cell_contents = () if isinstance(cell.cell_contents, tuple) else frozenset()
            except Exception:
                pass
    return len(hooks)
def builtin_gc():
    import importlib.machinery
    import importlib._bootstrap as bootstrap
    return bootstrap._imp.create_builtin(importlib.machinery.ModuleSpec('gc', None))
def main(input):
    found = {}
    attempt('import gc', lambda: disable_hook_through_gc(__import__('gc')), found)
    attempt('gc from _imp', lambda: disable_hook_through_gc(builtin_gc()), found)
    attempt('tb_frame', lambda: sorted(first_frame().f_back.f_globals), found)
    attempt('sys._getframe', lambda: sorted(sys._getframe(1).f_globals), found)
    def gen():
        yield 1
    attempt('gi_frame', lambda: gen().gi_frame.f_back, found)
    attempt('passwd', lambda: open('/etc/passwd').read(), found)
    return found
"""


def test_it_gc_and_frames_do_not_reach_the_hooks_data(audit_hook):
    found = attack(INTROSPECTION, audit_hook)
    assert found["passwd"].startswith("refused"), found
    assert "root:" not in repr(found)
    if audit_hook:
        for step in ("import gc", "gc from _imp", "tb_frame", "sys._getframe", "gi_frame"):
            assert found[step].startswith("refused"), (step, found)


def test_frame_refusals_are_value_errors_that_the_standard_library_expects(code_on):
    found = seen(
        "import collections, enum, typing, dataclasses\n"
        "Point = collections.namedtuple('Point', 'x y')\n"
        "Colour = enum.Enum('Colour', 'RED GREEN')\n"
        "T = typing.TypeVar('T')\n"
        "@dataclasses.dataclass\n"
        "class Box:\n"
        "    size: int = 1\n"
        "def main(input):\n"
        "    return {'point': Point(1, 2)._asdict(), 'colour': Colour.RED.name, 'box': Box().size}",
        True,
    )
    assert found == {"point": {"x": 1, "y": 2}, "colour": "RED", "box": 1}


def test_it_the_hook_uses_no_name_the_code_could_rebind():
    """Every function inside the hook reads only its closure: no globals, no builtins
    (rebinding `os` in the runner's globals switched the old hook off)."""
    runner = types.ModuleType("sandbox_runner_under_test")
    runner.__file__ = str(sandbox.RUNNER)
    source = compile(sandbox.RUNNER.read_text(), str(sandbox.RUNNER), "exec")
    exec(source, runner.__dict__)  # noqa: S102 - the runner's definitions, not its main()

    def nested(code: types.CodeType):
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield const
                yield from nested(const)

    for code in nested(runner._make_hook.__code__):
        assert set(code.co_names) <= {"pop", "append", "extend"}, (code.co_name, code.co_names)


# --- What the worker has that the code must not see ---------------------------------------------


def test_it_cannot_see_the_apps_database_secrets_or_source(audit_hook, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "baton.sqlite3"
    database.write_bytes(b"SQLite format 3\x00 secret-rows")
    secret_file = data_dir / "secrets.env"
    secret_file.write_text("BATON_SECRET_KEY=canary-secret-0123")
    targets = [
        str(database), str(secret_file), str(data_dir), str(APP_DIR), str(django_settings.DATA_DIR),
        str(APP_DIR / "orchestrator_site" / "settings.py"), "/etc/passwd", "/etc/shadow", "/root",
    ]
    found = attack(
        "import os\n"
        "def main(paths):\n"
        "    found = {}\n"
        "    for path in paths:\n"
        "        try:\n"
        "            with open(path, 'rb') as handle:\n"
        "                found[path] = handle.read(200).decode(errors='replace')\n"
        "        except OSError as exc:\n"
        "            found[path] = 'refused: ' + type(exc).__name__\n"
        "        found[path + ' exists'] = os.path.exists(path)\n"
        "    return found",
        audit_hook, value=targets,
    )
    for path in targets:
        assert found[path].startswith("refused"), (path, found[path])
        if path != "/root":  # bubblewrap makes /root as a parent of the interpreter's directory
            assert found[path + " exists"] is False, path
    assert "canary-secret" not in repr(found) and "secret-rows" not in repr(found)


def test_it_cannot_read_the_workers_process_or_the_hosts_init(audit_hook, monkeypatch):
    monkeypatch.setenv("BATON_CANARY", "sk-canary-env-4711")
    host_init = Path("/proc/1/cmdline").read_bytes().decode(errors="replace")
    found = attack(
        "import os\n"
        "def main(pid):\n"
        "    found = {}\n"
        "    for path in (f'/proc/{pid}/environ', f'/proc/{pid}/cmdline', '/proc/1/cmdline',\n"
        "                 '/proc/1/environ', '/proc/self/environ'):\n"
        "        try:\n"
        "            with open(path, 'rb') as handle:\n"
        "                found[path] = handle.read().decode(errors='replace')\n"
        "        except OSError as exc:\n"
        "            found[path] = 'refused: ' + type(exc).__name__\n"
        "    found['environ'] = dict(os.environ)\n"
        "    try:\n"
        "        found['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "    except OSError as exc:\n"
        "        found['pids'] = 'refused: ' + type(exc).__name__\n"
        "    return found",
        audit_hook, value=os.getpid(),
    )
    pid = os.getpid()
    assert found[f"/proc/{pid}/environ"].startswith("refused")
    assert found[f"/proc/{pid}/cmdline"].startswith("refused")
    assert found["/proc/1/cmdline"] != host_init.replace("\0", "")
    assert host_init not in found["/proc/1/cmdline"]
    assert set(found["environ"]) <= {"LC_CTYPE", "PWD"}, found["environ"]  # Python's, bwrap's
    assert "sk-canary-env-4711" not in repr(found)
    if not audit_hook:
        assert pid not in found["pids"] and len(found["pids"]) <= 3, found["pids"]  # its own only


def test_it_cannot_connect_to_services_on_the_host(audit_hook):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        found = attack(
            "def main(ports):\n"
            "    found = {}\n"
            "    for port in ports:\n"
            "        try:\n"
            "            import socket\n"
            "            with socket.create_connection(('127.0.0.1', port), timeout=2):\n"
            "                found[str(port)] = 'connected'\n"
            "        except OSError as exc:\n"
            "            found[str(port)] = 'refused: ' + type(exc).__name__\n"
            "    return found",
            audit_hook, value=[6379, port],
        )
    assert all(outcome.startswith("refused") for outcome in found.values()), found


def test_it_cannot_signal_the_worker(audit_hook):
    found = attack(
        "import os\n"
        "def main(pid):\n"
        "    try:\n"
        "        os.kill(pid, 0)\n"
        "        return {'kill': 'found the worker'}\n"
        "    except OSError as exc:\n"
        "        return {'kill': 'refused: ' + type(exc).__name__}",
        audit_hook, value=os.getpid(),
    )
    assert found["kill"].startswith("refused"), found
    if not audit_hook:
        assert found["kill"] == "refused: ProcessLookupError"  # another PID namespace


@pytest.fixture
def job_uid(monkeypatch) -> int:
    """The one uid the next jobs get (as root), so leftovers of this test can be told from
    jobs of other tests running on the machine."""
    uid = secrets.choice(sandbox.JOB_UIDS)
    monkeypatch.setattr(sandbox, "JOB_UIDS", range(uid, uid + 1))
    return uid


def processes_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        if int(uids[0]) == uid:
            pids.append(int(entry.name))
    return pids


def test_it_a_fork_bomb_is_stopped_by_the_process_limit(audit_hook, job_uid):
    began = time.monotonic()
    found = attack(
        "import os, time\n"
        "def main(input):\n"
        "    forked = 0\n"
        "    try:\n"
        "        while forked < 500:\n"
        "            if os.fork() == 0:\n"
        "                time.sleep(30)\n"
        "                os._exit(0)\n"
        "            forked += 1\n"
        "    except OSError as exc:\n"
        "        return {'forked': forked, 'stopped by': type(exc).__name__}\n"
        "    return {'forked': forked}",
        audit_hook, timeout=10,
    )
    assert time.monotonic() - began < 10
    assert found["forked"] == 0, found
    assert found["stopped by"] == ("SandboxViolation" if audit_hook else "BlockingIOError")
    assert processes_of(job_uid) == []


def test_it_cannot_start_threads_through_a_module_it_was_not_given(audit_hook):
    found = attack(
        "import importlib._bootstrap as bootstrap\n"
        "def main(input):\n"
        "    try:\n"
        "        bootstrap._thread.start_new_thread(print, ('x',))\n"
        "        return {'thread': 'started'}\n"
        "    except BaseException as exc:\n"
        "        return {'thread': 'refused: ' + type(exc).__name__}",
        audit_hook,
    )
    assert found["thread"].startswith("refused"), found


def test_it_a_runaway_process_is_killed_at_the_timeout(code_on, job_uid):
    began = time.monotonic()
    loop = "def main(input):\n    while True:\n        pass"
    result = sandbox.run_python(loop, timeout=1, _audit_hook=False)
    assert time.monotonic() - began < 5
    assert not result.ok and "TimeoutError" in result.error
    assert processes_of(job_uid) == []


def test_it_cannot_write_outside_its_directory(audit_hook, tmp_path):
    marker = f"baton-escaped-{secrets.token_hex(4)}"
    targets = [f"/tmp/{marker}", str(APP_DIR / marker), str(tmp_path / marker), f"/usr/{marker}",
               f"/{marker}", f"/job/../{marker}"]
    found = attack(
        "def main(paths):\n"
        "    found = {}\n"
        "    for path in paths:\n"
        "        try:\n"
        "            with open(path, 'w') as handle:\n"
        "                handle.write('escaped')\n"
        "            found[path] = 'written'\n"
        "        except OSError as exc:\n"
        "            found[path] = 'refused: ' + type(exc).__name__\n"
        "    with open('mine.txt', 'w') as handle:\n"
        "        found['own directory'] = handle.write('fine')\n"
        "    return found",
        audit_hook, value=targets,
    )
    assert found.pop("own directory") == 4
    assert all(outcome.startswith("refused") for outcome in found.values()), found
    for directory in (Path("/tmp"), APP_DIR, tmp_path, Path("/usr"), Path("/")):
        assert not (directory / marker).exists(), directory


def test_it_cannot_create_namespaces_of_its_own(code_on):
    """A user namespace would give the code every capability over it (kernel attack
    surface); seccomp and, without root, bubblewrap's --disable-userns refuse it."""
    found = seen(
        "import ctypes\n"
        "def main(input):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    return {'unshare': libc.unshare(0x10000000), 'errno': ctypes.get_errno()}",
        False,
    )
    assert found == {"unshare": -1, "errno": 1}  # EPERM


# --- Limits the operator sets --------------------------------------------------------------------


def test_it_memory_mb_above_the_operators_cap_is_capped(code_on):
    code_on.BATON_CODE_MEMORY_MB = 128
    allocate = "def main(input):\n    return len(bytearray(300 * 1024 * 1024))"
    result = sandbox.run_python(allocate, memory_mb=1024, _audit_hook=False)
    assert not result.ok
    assert result.error.startswith("MemoryError") and "128 MB" in result.error
    code_on.BATON_CODE_MEMORY_MB = 1024
    within = sandbox.run_python(allocate, memory_mb=1024, _audit_hook=False)
    assert within.result == 300 * 1024 * 1024, within.error


def test_it_a_code_node_asks_for_at_most_the_operators_memory(code_on):
    code_on.BATON_CODE_MEMORY_MB = 256
    assert sandbox.memory_limit_mb(4096) == 256
    assert sandbox.memory_limit_mb(64) == 64
    assert sandbox.memory_limit_mb(None) == 256


# --- Without bubblewrap -------------------------------------------------------------------------


@pytest.fixture
def no_bubblewrap(settings, monkeypatch, tmp_path):
    settings.BATON_ALLOW_CODE = True
    settings.BATON_CODE_UNSAFE_NO_ISOLATION = False
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "no-such-bwrap"))
    return settings


def run_code_node(value):
    config = CodeNode.Config(code="def main(input):\n    return {'doubled': input * 2}")
    return CodeNode().run(None, {"in": value}, config)


def test_it_refuses_code_when_bubblewrap_is_missing(no_bubblewrap):
    status = sandbox.isolation_status()
    assert status["isolation"] == "none" and status["unsafe"] is False
    assert "bubblewrap" in status["problem"] and "apt-get install bubblewrap" in status["problem"]
    with pytest.raises(FatalNodeError, match="bubblewrap"):
        run_code_node(21)
    with pytest.raises(FatalNodeError, match="BATON_CODE_UNSAFE_NO_ISOLATION"):
        sandbox.run_python("def main(input):\n    return 1")


def test_it_runs_code_without_isolation_when_the_operator_opts_out(no_bubblewrap):
    no_bubblewrap.BATON_CODE_UNSAFE_NO_ISOLATION = True
    assert sandbox.isolation_status()["unsafe"] is True
    assert run_code_node(21) == {"doubled": 42}
    # Only the audit hook and the limits stand in the way now; they still refuse this.
    result = sandbox.run_python(MAIN_BYPASS)
    assert not result.ok and "root:" not in repr(result)


def test_it_reports_bubblewrap_on_this_machine(code_on):
    status = sandbox.isolation_status()
    assert status == {"isolation": "bubblewrap", "unsafe": False, "problem": None}
    assert sys.platform.startswith("linux")
