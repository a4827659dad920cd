"""Nodes for tests/test_two_nodes.py: web nodes started by the Procfile's own web line and worker
processes, each in a folder of its own, and a load balancer in front of the web nodes.

The balancer stands for the platform's router: it sends each request to the next node that
accepts a connection (a killed node is skipped, as a health-checked router would), except the
carrier's fetches of recordings, which it sends to the node named `media_node`, so a test can
say which node served them. A request lost with its node is answered 502 (not sent again: it
may have been acted on), and that node gets nothing for the next FAIL_TIMEOUT_S, as nginx's
defaults do (max_fails=1, fail_timeout=10s). Each request goes on a connection of its own: an
idle connection kept to a node is closed by gunicorn when its worker stops (a SIGHUP's old
workers) or its keep-alive (2 s) ends, and a request sent on it in that instant is lost; a
router that keeps them must close them first (see the README's rolling restart). It records
who served what.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import urllib3
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parent.parent
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
FAIL_TIMEOUT_S = 10.0


def procfile_command(process: str) -> str:
    """The command line the Procfile gives `process` (web, worker, release)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise LookupError(f"no {process!r} process in the Procfile")


class Node:
    """One process group (a gunicorn master and its workers, or `python -m workers` and its
    scheduler) started in `folder`, its working folder and instance folder, sharing nothing
    else but what the environment names."""

    def __init__(self, name: str, command: str, folder: Path, env: dict[str, str], **extra: str):
        self.name, self.folder = name, folder
        (folder / "instance").mkdir(parents=True)
        env = {**env, **extra, "VOICECAST_INSTANCE_PATH": str(folder / "instance"),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
               "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"}  # fmt: skip
        self.log = (folder.parent / f"{name}.log").open("ab")
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=folder, env=env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def answers(self, base: str) -> bool:
        """Whether the web node at `base` is healthy; fails at once if its process ended."""
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited: see {self.log.name}")
        return urllib3.request("GET", base + "/healthz", timeout=5, retries=False).status == 200

    def kill(self) -> None:
        """SIGKILL the whole group: the machine is gone, nothing shuts down cleanly."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def files(self) -> list[str]:
        """Every file the node left in its folders (a stateless node leaves none)."""
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*")
                      if p.is_file())  # fmt: skip


def web_node(name: str, folder: Path, env: dict[str, str], port: int) -> Node:
    return Node(name, procfile_command("web"), folder, env, PORT=str(port), WEB_CONCURRENCY="1")


def worker_node(name: str, folder: Path, env: dict[str, str]) -> Node:
    return Node(name, procfile_command("worker"), folder, env)


class Balancer:
    """A router in front of the web nodes (`nodes`: name to base URL). A node taken `out` gets
    no new request (a router's drain); `in_flight` counts the requests each is serving."""

    def __init__(self, nodes: dict[str, str], media_node: str):
        self.nodes, self.media_node = nodes, media_node
        self.pool = urllib3.PoolManager(maxsize=20, retries=False)
        self.served: Counter[tuple[str, str, int]] = Counter()  # (node, kind, status)
        self.out: set[str] = set()
        self.failed_at: dict[str, float] = {}
        self.in_flight: Counter[str] = Counter()
        self.turn = 0
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def order(self, path: str) -> list[str]:
        names = [name for name in self.nodes if name not in self.out]
        now = time.monotonic()
        healthy = [
            n for n in names if now - self.failed_at.get(n, -FAIL_TIMEOUT_S) >= FAIL_TIMEOUT_S
        ]
        names = healthy or names
        if path.startswith("/recordings/") and self.media_node in names:
            return [self.media_node] + [n for n in names if n != self.media_node]
        with self.lock:
            self.turn += 1
            return names[self.turn % len(names) :] + names[: self.turn % len(names)]

    def wsgi(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Connection"] = "close"
        kind = request.path.split("/")[1]
        for name in self.order(request.path):
            with self.lock:
                self.in_flight[name] += 1
            try:
                answer = self.pool.request(
                    request.method, self.nodes[name] + request.full_path.rstrip("?"),
                    body=body, headers=headers, timeout=30, redirect=False,
                )  # fmt: skip
            except urllib3.exceptions.NewConnectionError:
                self.failed_at[name] = time.monotonic()
                continue  # a node down: the router's health check takes it out
            except urllib3.exceptions.HTTPError:
                with self.lock:
                    self.failed_at[name] = time.monotonic()
                    self.served[(name, kind, 502)] += 1
                return Response("node lost mid-request", 502)(environ, start_response)
            finally:
                with self.lock:
                    self.in_flight[name] -= 1
            with self.lock:
                self.served[(name, kind, answer.status)] += 1
            kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
            return Response(answer.data, answer.status, kept)(environ, start_response)
        return Response("no node up", 503)(environ, start_response)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def wait_until(condition, timeout: float, what: str, every: float = 0.5) -> float:
    """Seconds waited until `condition()` held; AssertionError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, urllib3.exceptions.HTTPError):
            pass
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
