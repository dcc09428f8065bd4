"""Two worker hosts: each worker in a network namespace of its own (and a pid namespace of its
own, with the same host name — like host-network containers or cloned VMs), reaching
PostgreSQL, Redis and the HTTP server the nodes call over a virtual link the test can cut.
Needs root (to make namespaces); skipped otherwise.

One host is killed, one is cut off and brought back, one runs with its clock a minute
behind: every run ends, no node completes twice, a stale attempt stops and its late outcome
is refused, and leases do not care about a worker's clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from runs.core import engine
from tests.helpers import edge, graph, node
from tests.services import Installation, OwnPostgres, TestHttpServer

pytestmark = [pytest.mark.queue_only]

SERVICE = "10.77.0.1"  # on the host's loopback: reachable from every namespace's link
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def run_ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


class Hosts:
    """Network namespaces, each linked to this host by a veth pair with its own /24."""

    def __init__(self, count: int):
        tag = os.getpid() % 10000
        self.names = [f"baton-h{i}-{tag}" for i in range(count)]
        self.links = [f"bvh{i}x{tag}" for i in range(count)]

    def __enter__(self) -> Hosts:
        run_ip("addr", "add", f"{SERVICE}/32", "dev", "lo")
        for index, (name, link) in enumerate(zip(self.names, self.links, strict=True)):
            net = f"10.77.{index + 1}"
            run_ip("netns", "add", name)
            run_ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", name)
            run_ip("addr", "add", f"{net}.1/24", "dev", link)
            run_ip("link", "set", link, "up")
            for args in (("link", "set", "lo", "up"), ("addr", "add", f"{net}.2/24", "dev", "eth0"),
                         ("link", "set", "eth0", "up"), ("route", "add", "default", "via", f"{net}.1")):
                run_ip("netns", "exec", name, "ip", *args)
        return self

    def __exit__(self, *exc) -> None:
        for name, link in zip(self.names, self.links, strict=True):
            subprocess.run(["ip", "link", "del", link], capture_output=True)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["ip", "addr", "del", f"{SERVICE}/32", "dev", "lo"], capture_output=True)

    def prefix(self, index: int) -> list[str]:
        """Runs a command on host `index`: its network, and a pid namespace of its own."""
        return ["ip", "netns", "exec", self.names[index], "unshare", "--pid", "--fork", "--kill-child",
                "--mount-proc"]

    def cut(self, index: int) -> None:
        run_ip("link", "set", self.links[index], "down")

    def reconnect(self, index: int) -> None:
        run_ip("link", "set", self.links[index], "up")


def can_make_namespaces() -> str | None:
    if os.geteuid() != 0:
        return "needs root to make network namespaces"
    for tool in ("ip", "unshare", "runuser"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    return None


@pytest.fixture
def two_hosts(transactional_db):
    reason = can_make_namespaces()
    if reason:
        pytest.skip(f"multi-host test: {reason}")
    try:
        cluster = OwnPostgres()
    except FileNotFoundError as exc:
        pytest.skip(f"multi-host test: {exc}")
    with Hosts(2) as hosts:
        cluster.init(listen=f"127.0.0.1,{SERVICE}", trust="10.77.0.0/16")
        server = TestHttpServer(host=SERVICE).start()
        own = Installation(
            "hosts", admin_url=cluster.admin_url, BATON_LEASE_SECONDS="10",
            BATON_HTTP_ALLOW=f"{SERVICE}:{server.port}",
        )
        own.redis_bind = f"127.0.0.1 {SERVICE}"
        try:
            own.start(workers=0)
            remote = {
                "DATABASE_URL": own.database_url.replace("127.0.0.1", SERVICE),
                "REDIS_URL": own.redis_url.replace("127.0.0.1", SERVICE),
            }
            yield own, hosts, server, remote
        finally:
            own.stop()
            server.stop()
            cluster.destroy()


def slow_then_fast(server, seconds: float) -> dict:
    return graph(
        [node("in", "input", key="n"),
         node("slow", "http", url=f"{server.url}/slow?seconds={seconds}&n={{{{ input }}}}", timeout=60),
         node("after", "http", url=f"{server.url}/json?n={{{{ input.body.query.n }}}}"),
         node("out", "output")],
        [edge("in", "slow"), edge("slow", "after"), edge("after", "out")],
    )


def start_runs(api, flow_id: int, names: list[str]) -> list[str]:
    return [api.post(f"/api/flows/{flow_id}/runs/", json={"inputs": {"n": name}}).json()["id"] for name in names]


def wait_ended(own: Installation, run_ids: list[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = dict(own.query("SELECT id::text, status FROM runs_run WHERE id::text = ANY(%s)", (run_ids,)))
        if all(statuses.get(r) not in engine.ACTIVE_RUN_STATUSES for r in run_ids) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def running_on(own: Installation, worker_name: str) -> int:
    return own.query("SELECT count(*) FROM runs_noderun WHERE status = 'running' AND worker LIKE %s",
                     (worker_name + ":%",))[0][0]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def downstream_calls(server, names: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for request in server.requests:
        if request["path"] == "/json" and request["query"].get("n") in counts:
            counts[request["query"]["n"]] += 1
    return counts


def test_two_hosts_share_work_and_survive_a_kill_a_cut_and_a_skewed_clock(two_hosts):
    own, hosts, server, remote = two_hosts
    a = own.worker("host-a", prefix=hosts.prefix(0), **remote).start()
    b = own.worker("host-b", prefix=hosts.prefix(1), **remote).start()
    own.workers += [a, b]
    with own.api() as api:
        # Work spreads over both hosts.
        quick = api.post("/api/flows/", json={"name": "quick", "graph": slow_then_fast(server, 0.3)}).json()
        names = [f"spread{n}" for n in range(24)]
        statuses = wait_ended(own, start_runs(api, quick["id"], names), timeout=60)
        assert set(statuses.values()) == {engine.SUCCEEDED}
        per_worker = dict(own.query(
            "SELECT split_part(worker, ':', 1), count(*) FROM runs_noderun WHERE node_id = 'slow' GROUP BY 1"))
        assert set(per_worker) == {a.hostname, b.hostname} and min(per_worker.values()) >= 4, per_worker

        # Host A is killed mid-node: B takes its nodes over; nothing downstream runs twice.
        slow = api.post("/api/flows/", json={"name": "slow", "graph": slow_then_fast(server, 3)}).json()
        names = [f"kill{n}" for n in range(6)]
        killed_runs = start_runs(api, slow["id"], names)
        wait_for(lambda: running_on(own, a.hostname) > 0, 20, "host A never ran a node")
        a.kill()
        statuses = wait_ended(own, killed_runs, timeout=60)
        assert set(statuses.values()) == {engine.SUCCEEDED}, statuses
        assert set(downstream_calls(server, names).values()) == {1}
        assert own.query("SELECT count(*) FROM runs_noderun WHERE lost_count > 0 AND run_id::text = ANY(%s)",
                         (killed_runs,))[0][0] >= 1

        # Host B is cut off mid-node for longer than its lease: a new worker on host A takes
        # the node over; when B is back, its stale attempt stops and its outcome is refused.
        a2 = own.worker("host-a2", prefix=hosts.prefix(0), **remote).start()
        own.workers.append(a2)
        cut_names = [f"cut{n}" for n in range(2)]
        longer = api.post("/api/flows/", json={"name": "longer", "graph": slow_then_fast(server, 8)}).json()
        cut_runs = start_runs(api, longer["id"], cut_names)
        wait_for(lambda: running_on(own, b.hostname) > 0, 20, "host B never ran a node")
        hosts.cut(1)
        wait_for(lambda: running_on(own, a2.hostname) >= len(cut_names), 40,
                 "host A did not take over the cut-off host's node")
        hosts.reconnect(1)
        statuses = wait_ended(own, cut_runs, timeout=60)
        assert set(statuses.values()) == {engine.SUCCEEDED}, statuses
        assert set(downstream_calls(server, cut_names).values()) == {1}
        with open(b.log_path) as log:
            text = log.read()
        assert "stopping its attempt" in text or "another worker took it over" in text
        b.stop()

        # A host whose clock is a minute behind: leases are set and compared on the
        # database's clock, so its nodes neither expire at once nor run twice.
        if os.path.exists(FAKETIME):
            skewed = own.worker("host-b-skewed", prefix=hosts.prefix(1), LD_PRELOAD=FAKETIME,
                                FAKETIME="-60s", **remote).start()
            own.workers.append(skewed)
            a2.stop()  # the skewed host runs everything
            names = [f"skew{n}" for n in range(6)]
            skew_runs = start_runs(api, slow["id"], names)
            statuses = wait_ended(own, skew_runs, timeout=60)
            assert set(statuses.values()) == {engine.SUCCEEDED}, statuses
            assert own.query(
                "SELECT count(*) FROM runs_noderun WHERE run_id::text = ANY(%s) AND (lost_count > 0 OR attempts > 1)",
                (skew_runs,))[0][0] == 0
            assert set(downstream_calls(server, names).values()) == {1}
