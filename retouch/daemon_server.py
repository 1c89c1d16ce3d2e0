"""The warm local daemon itself: jobs over a Unix socket, one at a time per connection, until it
has been idle RETOUCH_DAEMON_IDLE_SECONDS. Started (`python -m retouch.daemon_server SOCKET`)
and reached by the commands through retouch/daemon.py (the client side, which explains why it
exists).

It takes jobs as soon as it has imported what they need, while the embedded Prefect server is
still booting: that server's socket is bound before it starts (retouch/prefect_api.py), so the
task runs' events and any API request wait for it rather than fail, and the first command does
not wait for the boot. Should that server fail to start, the daemon says so and stops."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _State:
    def __init__(self, idle_seconds: float, allocator_tuned: bool) -> None:
        self.idle_seconds = idle_seconds
        self.allocator_tuned = allocator_tuned
        self.busy = 0
        self.jobs = 0
        self.last = time.monotonic()
        self.started = time.time()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def begin(self) -> None:
        with self.lock:
            self.busy += 1
            self.jobs += 1

    def end(self) -> None:
        with self.lock:
            self.busy -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        with self.lock:
            return 0.0 if self.busy else time.monotonic() - self.last


def _handler(state: _State, api):
    from retouch.jobs import JobError, execute
    from tasks.infra.errors import one_line

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection does (streamed lines)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/health":
                return self._json(404, {"error": "not found"})
            self._json(
                200,
                {
                    "pid": os.getpid(),
                    "busy": state.busy,
                    "jobs": state.jobs,
                    "started": state.started,
                    "idle_seconds": state.idle_seconds,
                    "prefect_api": api.url,
                    "allocator_tuned": state.allocator_tuned,
                },
            )

        def do_POST(self) -> None:  # noqa: N802
            if self.path == "/stop":
                state.stopping.set()
                return self._json(200, {"stopping": True})
            if not self.path.startswith("/jobs/"):
                return self._json(404, {"error": "not found"})
            params = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            state.begin()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()

                def progress(done: int, total: int) -> None:
                    self._send({"progress": [done, total]})

                try:
                    with api.in_this_thread():
                        results = execute(self.path[len("/jobs/") :], params, progress)
                    self._send({"results": results})
                except JobError as exc:
                    self._send({"error": str(exc), "code": 2})
                except Exception as exc:  # a bug: the command says so, the daemon lives on
                    import traceback

                    traceback.print_exc()
                    self._send({"error": f"{one_line(exc)} (the daemon's log has the details)", "code": 1})
            finally:
                state.end()

        def _send(self, message: dict[str, Any]) -> None:
            try:
                self.wfile.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
                self.wfile.flush()
            except OSError:  # the command went away (Ctrl-C): the job still finishes
                pass

    return Handler


class _UnixHTTPServer(ThreadingHTTPServer):
    address_family = socket.AF_UNIX
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)
        self.server_name, self.server_port = "localhost", 0


def _watch_server(api, state: _State, failed: Path) -> None:
    """Wait for the embedded Prefect server (if any); if it cannot start, say so and stop,
    leaving `failed` behind so that the next daemon takes no job before its own answers."""
    started = time.monotonic()
    try:
        api.wait_for_server()
    except RuntimeError as exc:
        failed.write_text(f"{exc}\n")
        print(
            f"error: {exc}; the task runs of the {state.jobs} jobs taken meanwhile are not in "
            "Prefect (their results and ledger rows are); stopping",
            flush=True,
        )
        state.stopping.set()
        return
    failed.unlink(missing_ok=True)
    print(f"Prefect API answering after {time.monotonic() - started:.1f} s", flush=True)


def _unlink_own(path: Path, inode: int | None) -> None:
    """Remove the socket file this daemon made, not one a newer daemon made there since."""
    try:
        if inode is not None and os.stat(path).st_ino == inode:
            path.unlink()
    except FileNotFoundError:
        pass


def serve(path: Path, idle_seconds: float) -> None:
    """Run the daemon until it has been idle `idle_seconds` (or is asked to stop)."""
    from retouch.prefect_api import PrefectApi
    from retouch.runtime import tune_allocator

    tuned = tune_allocator()  # as every command's process does: image buffers reused, not remapped
    api = PrefectApi()  # the embedded default's private server, or the configured one
    bound = None  # the socket file this daemon made (a successor may make one at the same path)
    try:
        from retouch.jobs import warm_up

        warm_up()
        failed = path.with_suffix(".server-failed")
        # jobs start while the embedded server boots, unless the last daemon's could not start
        api_url = api.ready(wait=failed.exists())
        state = _State(idle_seconds, allocator_tuned=tuned)
        threading.Thread(target=_watch_server, args=(api, state, failed), daemon=True).start()
        path.unlink(missing_ok=True)
        server = _UnixHTTPServer(str(path), _handler(state, api))
        bound = os.stat(path).st_ino
        os.chmod(path, 0o600)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"retouch daemon {os.getpid()} on {path}; Prefect API {api_url}", flush=True)
        while not state.stopping.is_set():
            if state.idle_for() >= idle_seconds:
                break
            state.stopping.wait(0.5)
        _unlink_own(path, bound)  # from now on a command starts a new daemon
        while state.busy:  # asked to stop: finish what runs
            time.sleep(0.1)
        server.shutdown()
        server.server_close()
    finally:
        _unlink_own(path, bound)
        api.close()
        print(f"retouch daemon {os.getpid()} stopped", flush=True)


def main(argv: list[str]) -> int:
    """`python -m retouch.daemon_server SOCKET`: serve this configuration until idle; exit
    status retouch.daemon.OFF at once when its settings turn the daemon off."""
    from config.settings import get_settings
    from retouch.daemon import OFF

    idle_seconds = get_settings().daemon_idle_seconds
    if idle_seconds <= 0:
        print("the daemon is off (RETOUCH_DAEMON_IDLE_SECONDS=0)", flush=True)
        return OFF
    try:
        serve(Path(argv[0]), idle_seconds)
    except RuntimeError as exc:  # the embedded Prefect server could not start
        print(f"error: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
