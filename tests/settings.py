"""Settings for the test suites: the site's own settings, pointed at test services.

BATON_TEST_MODE picks the mode:
- queue (default): PostgreSQL and Redis on this machine (DATABASE_URL / REDIS_URL may
  point elsewhere);
- local: SQLite in a temporary data dir and a Redis server the tests start themselves
  on a free port, as `make run` does.

Names of queues, channels and the test database carry a tag of this checkout and process,
so several checkouts (and CI) can share one Redis and one PostgreSQL.
"""

import hashlib
import os
import socket
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_checkout = hashlib.sha1(str(ROOT).encode()).hexdigest()[:6]
_session = f"{_checkout}{os.getpid()}"

TEST_MODE = os.environ.setdefault("BATON_TEST_MODE", "queue")
os.environ.setdefault("BATON_SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("BATON_CREDENTIALS_KEY", "dGVzdHMtb25seS1jcmVkZW50aWFscy1rZXktMDEyMzQ=")
os.environ.setdefault("BATON_QUEUE", f"test-{_session}")
os.environ.setdefault("BATON_CHANNEL_PREFIX", f"t{_session}")
os.environ.setdefault("BATON_BROKER_KEYPREFIX", f"t{_session}:")
os.environ.setdefault("BATON_LOG_LEVEL", "WARNING")

if TEST_MODE == "local":
    os.environ.pop("DATABASE_URL", None)
    if "BATON_DATA_DIR" not in os.environ:
        os.environ["BATON_DATA_DIR"] = tempfile.mkdtemp(prefix="baton-test-")
    os.environ.setdefault("BATON_TEST_DB_NAME", str(Path(os.environ["BATON_DATA_DIR"]) / "test.sqlite3"))
    if "REDIS_URL" not in os.environ:
        with socket.socket() as _sock:
            _sock.bind(("127.0.0.1", 0))
            _port = _sock.getsockname()[1]
        # tests/conftest.py starts an embedded redis-server on this port.
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_port}/0"
        os.environ["BATON_TEST_START_REDIS"] = str(_port)
else:
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/baton_{_checkout}")
    os.environ.setdefault("BATON_TEST_DB_NAME", f"test_baton_{_session}")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    if "BATON_DATA_DIR" not in os.environ:
        os.environ["BATON_DATA_DIR"] = tempfile.mkdtemp(prefix="baton-test-")

from orchestrator_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
