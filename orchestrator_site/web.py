"""The web server as shipped (`make web`, and local mode's web process): BATON_WEB_PROCESSES
Daphne processes accepting on one listening socket, kept running.

One Python process serves requests on one core (the GIL); a run request spends most of its
time in Python, so a second process on a second core nearly doubles what the server
answers. The socket is bound here and inherited by every Daphne (`--endpoint fd:...`): the
kernel hands each connection to one of them, and a restarted process takes up the same
socket, so clients never see the port closed. A process that dies is started again (after
a pause that grows while it keeps dying at once); SIGTERM or SIGINT stops them all.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from orchestrator_site.processes import RestartPolicy, die_with_parent

STOP_GRACE_SECONDS = 8.0  # inside the local launcher's 10 s


def log(message: str) -> None:
    print(f"baton web: {message}", file=sys.stderr, flush=True)


def default_processes() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def process_count() -> int:
    raw = os.environ.get("BATON_WEB_PROCESSES", "").strip()
    if not raw:
        return default_processes()
    try:
        count = int(raw)
    except ValueError:
        raise SystemExit(f"BATON_WEB_PROCESSES must be a whole number, not {raw!r}") from None
    if not 1 <= count <= 64:
        raise SystemExit("BATON_WEB_PROCESSES must be between 1 and 64")
    return count


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def daphne_argv(sock: socket.socket, proxy_headers: bool) -> list[str]:
    # Daphne's own --fd asks Twisted for an "fd:" endpoint it no longer has; its systemd
    # endpoint adopts a socket passed the way systemd passes one (see inherit_socket).
    domain = "INET6" if sock.family == socket.AF_INET6 else "INET"
    argv = [sys.executable, "-m", "daphne", "--endpoint", f"systemd:domain={domain}:name=baton"]
    if proxy_headers:
        argv.append("--proxy-headers")
    return [*argv, "orchestrator_site.asgi:application"]


SD_LISTEN_FDS_START = 3


def inherit_socket(fileno: int) -> None:
    """In the child, before exec: the socket as systemd passes one — descriptor 3, and
    LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID naming it and this process (known only once it exists, hence here)."""
    if fileno != SD_LISTEN_FDS_START:
        os.dup2(fileno, SD_LISTEN_FDS_START)
    os.set_inheritable(SD_LISTEN_FDS_START, True)
    os.putenv("LISTEN_FDS", "1")
    os.putenv("LISTEN_FDNAMES", "baton")
    os.putenv("LISTEN_PID", str(os.getpid()))
    die_with_parent()


class Supervisor:
    """Keeps `count` copies of one command running; stops them on SIGTERM/SIGINT."""

    def __init__(self, argv: list[str], count: int, sock: socket.socket):
        self.argv = argv
        self.sock = sock
        self.slots: list[tuple[RestartPolicy, list[subprocess.Popen | None]]] = [
            (RestartPolicy(), [None]) for _ in range(count)
        ]
        self.stopping = False

    def spawn(self, policy: RestartPolicy, holder: list[subprocess.Popen | None]) -> None:
        fileno = self.sock.fileno()
        # Only the socket is inheritable here (Python opens every file non-inheritable).
        holder[0] = subprocess.Popen(
            self.argv, close_fds=False, preexec_fn=lambda: inherit_socket(fileno)
        )
        policy.started_now()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        for policy, holder in self.slots:
            self.spawn(policy, holder)
        while not self.stopping:
            self.tend()
            time.sleep(0.2)
        return self.stop_all()

    def tend(self) -> None:
        for policy, holder in self.slots:
            process = holder[0]
            if process is not None and process.poll() is None:
                continue
            if process is not None:
                holder[0] = None
                pause = policy.exited()
                log(f"process {process.pid} exited ({process.returncode}); starting another "
                    f"in {pause:.0f} s")
            if policy.is_due():
                self.spawn(policy, holder)

    def on_signal(self, signum, frame) -> None:
        self.stopping = True

    def stop_all(self) -> int:
        running = [holder[0] for _, holder in self.slots if holder[0] is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return 0


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    proxy_headers = os.environ.get("BATON_HTTPS", "").strip().lower() in {"1", "true", "yes", "on"}
    count = process_count()
    try:
        sock = listen(host, port)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc}") from None
    log(f"{count} process{'es' if count != 1 else ''} serving http://{host}:{port}/")
    supervisor = Supervisor(daphne_argv(sock, proxy_headers), count, sock)
    sys.exit(supervisor.run())


if __name__ == "__main__":
    main()
