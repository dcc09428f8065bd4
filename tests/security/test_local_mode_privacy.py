"""Local mode keeps its data private to the user running it: the data dir 0700, every file
in it 0600, and the embedded Redis asks for a password that no command line shows."""

from __future__ import annotations

import os
import stat

import pytest
import redis

from tests.integration.test_local_mode import Launch
from tests.services import free_port

pytestmark = pytest.mark.skipif(
    os.environ.get("BATON_TEST_MODE") != "local", reason="runs in the local-mode pass of make test"
)


def loose_paths(data_dir) -> list[str]:
    found = []
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            if mode & 0o077:
                found.append(f"{os.path.join(root, name)} {oct(mode)}")
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o077:
                found.append(f"{path} {oct(mode)}")
    return found


def test_the_data_dir_and_everything_in_it_are_private_and_redis_wants_a_password(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    (data_dir / "left-by-an-older-baton.log").write_text("x")
    os.chmod(data_dir / "left-by-an-older-baton.log", 0o644)
    launch = Launch(data_dir, free_port())
    try:
        launch.wait_until_running()
        assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
        assert (data_dir / "baton.sqlite3").exists()
        assert loose_paths(data_dir) == []

        redis_process = next(p for p in launch.descendants() if "redis-server" in " ".join(p.cmdline()))
        password = (data_dir / "redis_password").read_text().strip()
        for process in launch.descendants():
            assert password not in " ".join(process.cmdline())
        config = (data_dir / "redis.conf").read_text()
        port = int(next(line.split()[1] for line in config.splitlines() if line.startswith("port ")))
        anonymous = redis.Redis(host="127.0.0.1", port=port)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        assert redis.Redis(host="127.0.0.1", port=port, password=password).ping()
        assert redis_process.is_running()
    finally:
        assert launch.stop() == 0, "".join(launch.output)
    assert loose_paths(data_dir) == []
