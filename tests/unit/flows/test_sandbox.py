"""The code sandbox: escape attempts fail cleanly, and the process is limited by the OS too."""

from __future__ import annotations

import pytest

from flows.nodes import sandbox
from flows.nodes.base import FatalNodeError

ESCAPES = {
    "reads /proc environ": "def main(input):\n    return open('/proc/self/environ').read() + open('/proc/1/environ').read()",
    "reads the settings file": f"def main(input):\n    return open({str(sandbox.RUNNER.parents[2] / 'orchestrator_site' / 'settings.py')!r}).read()",
    "reads the secret key file": "def main(input):\n    return open('/etc/shadow').read()",
    "lists the root directory": "import os\ndef main(input):\n    return os.listdir('/')",
    "calls os.system": "import os\ndef main(input):\n    return os.system('touch /tmp/escaped')",
    "starts a subprocess": "import subprocess\ndef main(input):\n    return subprocess.run(['id']).returncode",
    "finds os.system through object subclasses": (
        "def main(input):\n"
        "    for c in ().__class__.__base__.__subclasses__():\n"
        "        if c.__name__ == '_wrap_close':\n"
        "            return c.__init__.__globals__['system']('id')\n"
    ),
    "opens a socket": "import socket\ndef main(input):\n    return socket.create_connection(('1.1.1.1', 53), 2).fileno()",
    "uses posix.fork": "import sys\ndef main(input):\n    return sys.modules['posix'].fork()",
    "fork bombs": "import os\ndef main(input):\n    while True:\n        os.fork()",
    "loads ctypes": "import ctypes\ndef main(input):\n    return ctypes.CDLL(None).getpid()",
    "starts threads": "import _thread\ndef main(input):\n    _thread.start_new_thread(print, ('x',))\n    return 1",
    "allocates 4 GB": "def main(input):\n    return len(bytearray(4 * 1024 ** 3))",
    "loops forever": "def main(input):\n    while True:\n        pass",
    "writes a huge file": "def main(input):\n    open('big', 'wb').write(b'0' * (64 * 1024 * 1024))\n    return 1",
    "writes outside its directory": "def main(input):\n    open('/tmp/baton-escaped', 'w').write('x')\n    return 1",
}


@pytest.fixture
def code_on(settings):
    settings.BATON_ALLOW_CODE = True
    return settings


def test_it_runs_main_with_the_input_and_keeps_what_it_printed(code_on):
    result = sandbox.run_python(
        "import math, statistics\ndef main(input):\n    print('half', input / 2)\n    return {'root': math.sqrt(input), 'mean': statistics.mean([1, 2, 3])}",
        value=16,
    )
    assert result.ok, result.error
    assert result.result == {"root": 4.0, "mean": 2}
    assert result.stdout == "half 8.0\n"


def test_it_may_write_and_read_files_in_its_own_directory(code_on):
    result = sandbox.run_python("def main(input):\n    open('a.txt', 'w').write(input)\n    return open('a.txt').read()", value="hi")
    assert result.ok and result.result == "hi"


@pytest.mark.parametrize("attempt", list(ESCAPES))
def test_an_escape_attempt_fails_cleanly(code_on, attempt):
    result = sandbox.run_python(ESCAPES[attempt], timeout=2, memory_mb=256)
    assert not result.ok, f"{attempt} succeeded: {result.result!r}"
    assert result.error  # a sentence saying what stopped it
    assert "tests-only-secret-key" not in repr(result)


def test_the_workers_environment_is_not_there(code_on, monkeypatch):
    monkeypatch.setenv("BATON_CANARY", "sk-canary-env")
    result = sandbox.run_python("import os\ndef main(input):\n    return dict(os.environ)")
    assert result.ok
    assert "BATON_CANARY" not in result.result
    assert not any(key.startswith(("BATON", "DATABASE", "REDIS")) for key in result.result)


def test_a_script_shows_its_traceback(code_on):
    result = sandbox.run_python("print('start')\nraise ValueError('nope')", mode="script")
    assert not result.ok
    assert result.error == "ValueError: nope"
    assert 'File "<code>", line 2' in result.traceback
    assert result.stdout == "start\n"


def test_it_is_refused_unless_allowed(settings):
    settings.BATON_ALLOW_CODE = False
    with pytest.raises(FatalNodeError, match="BATON_ALLOW_CODE"):
        sandbox.run_python("def main(input):\n    return 1")


def test_without_the_audit_hook_the_os_limits_still_hold(code_on):
    """The kernel's isolation alone (no audit hook in the sandbox): no fork, no network
    (a namespace with loopback only), an unprivileged uid, and none of root's files."""
    script = (
        "import os, socket\n"
        "results = ['uid=%d' % os.getuid()]\n"
        "try:\n    os.fork(); results.append('forked')\nexcept OSError as e:\n    results.append('no fork')\n"
        "try:\n    s = socket.socket(); s.settimeout(1); s.connect(('1.1.1.1', 53)); results.append('connected')\n"
        "except OSError:\n    results.append('no network')\n"
        "try:\n    open('/root/.bashrc'); results.append('read root')\nexcept OSError:\n    results.append('no root files')\n"
        "interfaces = [line.split(':')[0].strip() for line in open('/proc/net/dev').read().splitlines()[2:]]\n"
        "print(' '.join(results), 'interfaces=' + ','.join(interfaces))\n"
    )
    result = sandbox.run_python(script, mode="script", _audit_hook=False)
    assert result.ok, result.error
    assert "uid=0 " not in result.stdout
    assert "no fork" in result.stdout
    assert "no network" in result.stdout
    assert "no root files" in result.stdout
    assert "interfaces=lo" in result.stdout  # a namespace of its own: loopback only
