"""The embedded default Prefect API for one CLI command or the daemon.

When no Prefect server is configured (no PREFECT_API_URL), Prefect itself would start a
temporary server on the first flow call, after importing its server stack into this process
and then waiting for the server process to boot (seconds). Retouch instead starts that same
server (Prefect's API app on uvicorn, ephemeral mode: no UI, no background services, the usual
database under PREFECT_HOME) *before* it imports Prefect and the image libraries, so that the
boot overlaps the imports, and stops it when the command (or the daemon) ends. The server's
port is bound here first, so its address takes connections at once: the daemon runs its first
edit while the server still boots (the task run's events wait for it). Runs still land in the
same database that `prefect server start` shows in the UI.

This is the one module that leans on Prefect's internals (the ephemeral server's
`PREFECT__SERVER_*` switches, its log and event workers, the task-run logger's records):
`check_prefect_version` says what to do when the installed Prefect is not one it was written for.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext

#: the Prefect releases whose internals this module uses (pyproject.toml pins the same)
SUPPORTED_PREFECT = "3.9."


class PrefectVersionError(RuntimeError):
    """The installed Prefect is not one whose internals this module knows; says what to do."""


def check_prefect_version(version: str | None = None) -> str:
    """The installed Prefect's version, or PrefectVersionError with the remedy (asked once Prefect
    is imported: reading a distribution's metadata first would delay the server's boot)."""
    if version is None:
        import prefect

        version = prefect.__version__
    if not version.startswith(SUPPORTED_PREFECT):
        raise PrefectVersionError(
            f"Prefect {version} is installed, but Retouch's embedded Prefect API uses internals of "
            f"Prefect {SUPPORTED_PREFECT}x (retouch/prefect_api.py): install it with "
            "`pip install -c constraints.txt -e .` (pyproject: prefect>=3.9.1,<3.10), or set "
            "PREFECT_API_URL to a Prefect server"
        )
    return version


def _die_with_parent() -> None:
    """In the server's process: end it when the process that started it ends, however that
    ends (uvicorn re-raises SIGTERM after its own shutdown, past any `finally`; SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


class EphemeralServer:
    """A private Prefect API server process on a free loopback port.

    The port is bound and listening here, before the process starts (it serves the inherited
    socket: retouch/prefect_server_process.py), so the API's address is known and takes
    connections at once: a request sent while the server still boots waits for its answer."""

    def __init__(self) -> None:
        listening = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = listening.getsockname()[1]
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        # a file, not a pipe: a chatty server must never block on a full pipe buffer
        self.log = tempfile.TemporaryFile()
        with listening:  # the server's process holds the socket from here on
            self.process = subprocess.Popen(
                [sys.executable, "-m", "retouch.prefect_server_process", str(listening.fileno())],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.log,
                pass_fds=(listening.fileno(),),
                preexec_fn=_die_with_parent,
            )
        self.answered = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        """Return once the server answers; RuntimeError (its last words) if it exited or
        did not answer in time."""
        deadline = time.monotonic() + timeout
        while not self.answered and time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace").strip()
                raise RuntimeError(
                    "the embedded Prefect server exited: "
                    + (err.splitlines()[-1] if err else f"code {self.process.returncode}")
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=1) as response:
                    if response.status == 200:
                        self.answered = True
                        return
            except OSError:
                pass
            time.sleep(0.05)
        if self.answered:
            return
        self.stop()
        raise RuntimeError(f"the embedded Prefect server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _drain_prefect_workers() -> None:
    """Send buffered logs and events before the server goes away."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=10)
        except Exception:  # nothing was started, or the server is already gone
            pass


class _TaskRunsSeen(logging.Handler):
    """The ids of the last task runs this process ran (Prefect's task-run logger names each one
    as it logs). Bounded: a long-lived process (the daemon, `retouch api`) runs thousands, and
    only the last ones can still be on their way to the server."""

    KEEP = 1000

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.ids: OrderedDict[str, None] = OrderedDict()

    def emit(self, record: logging.LogRecord) -> None:
        task_run_id = getattr(record, "task_run_id", None)
        if task_run_id:
            self.ids[task_run_id] = None
            self.ids.move_to_end(task_run_id)
            if len(self.ids) > self.KEEP:
                self.ids.popitem(last=False)


class PrefectApi:
    """The Prefect API of one command: the configured server, or a private one started early."""

    def __init__(self) -> None:
        self.server = None if os.environ.get("PREFECT_API_URL") else EphemeralServer()
        self._settings = ExitStack()
        self._context = None  # the Prefect settings this API's threads run with, made once
        self._tls = None
        self._task_runs = _TaskRunsSeen()
        self.url: str | None = None

    def ready(self, wait: bool = True) -> str | None:
        """Point Prefect at the API; call it after the slow imports, right before running flows.

        `wait`: until the embedded server answers. Without, runs may start while it boots:
        their task runs' events and logs wait in Prefect's queues and their API requests on
        the server's socket, and `close` (or `wait_for_server`) waits for the server."""
        if self.url is not None:
            return self.url
        try:
            check_prefect_version()
        except PrefectVersionError:
            self.close()
            raise
        from prefect.context import SettingsContext
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED,
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            get_current_settings,
            temporary_settings,
        )

        configured = get_current_settings().api.url
        if configured or self.server is None:  # configured by env, profile or prefect.toml
            if self.server:
                self.server.stop()
                self.server = None
            self.url = configured or ""
        else:
            if wait:
                self.server.wait_until_ready()
            updates = {
                PREFECT_API_URL: self.server.api_url,
                # nothing watches heartbeats on a private server: no heartbeat thread to join
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                # the server runs this very Prefect: no version to compare
                PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED: False,
            }
            self._settings.enter_context(temporary_settings(updates=updates))
            self.url = self.server.api_url
            logging.getLogger("prefect.task_runs").addHandler(self._task_runs)
        self._context = SettingsContext.get()
        return self.url or None

    def in_this_thread(self) -> AbstractContextManager[object]:
        """This API's Prefect settings and one Prefect client for a job in another thread
        (settings and clients are per context). Made from what the main thread built once:
        rebuilding the settings took ~90 ms a job, and each new client ~50 ms loading the
        CA bundle for its TLS context (shared here, as Prefect would build it)."""
        from prefect.context import SettingsContext, SyncClientContext

        if self._context is None:
            return nullcontext()
        stack = ExitStack()
        stack.enter_context(SettingsContext(profile=self._context.profile, settings=self._context.settings))
        clients = SyncClientContext(httpx_settings={"verify": self._tls_context()})
        # Prefect's task engine asks for `get_client(sync_client=True)` (no settings) and gets
        # the context's client only when the context was made without settings: say so
        clients._httpx_settings = None
        stack.enter_context(clients)
        return stack

    def _tls_context(self):
        """The TLS context of Prefect's clients (its own rule: skip-verify, a CA file, or
        certifi's bundle), built once."""
        if self._tls is None:
            import ssl

            import certifi

            api = self._context.settings.api
            if api.tls_insecure_skip_verify:
                tls = ssl.create_default_context()
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE
            else:
                tls = ssl.create_default_context(cafile=api.ssl_cert_file or certifi.where())
            self._tls = tls
        return self._tls

    def wait_for_server(self) -> None:
        """Until the embedded server (if any) answers; RuntimeError if it cannot."""
        if self.server is not None:
            self.server.wait_until_ready()

    def _wait_for_task_runs(self, timeout: float = 30.0) -> None:
        """Until the server has recorded the final state of every task run this process ran:
        it writes them from the events just sent, a moment after receiving them, and what it
        has not written when it stops is lost (a burst of events from edits run while it
        booted, or a last batch's)."""
        from prefect import get_client
        from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterId

        waiting = sorted(self._task_runs.ids)
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while waiting and time.monotonic() < deadline:
                recorded = set()
                for start in range(0, len(waiting), 200):
                    ids = waiting[start : start + 200]
                    runs = client.read_task_runs(task_run_filter=TaskRunFilter(id=TaskRunFilterId(any_=ids)))
                    recorded |= {str(r.id) for r in runs if r.state is not None and r.state.is_final()}
                waiting = [i for i in waiting if i not in recorded]
                if waiting:
                    time.sleep(0.1)

    def close(self) -> None:
        try:
            if self.server and self.url:
                try:  # what was queued while it booted is sent before it stops
                    self.server.wait_until_ready()
                    _drain_prefect_workers()
                    self._wait_for_task_runs()
                except RuntimeError:
                    pass
                logging.getLogger("prefect.task_runs").removeHandler(self._task_runs)
            self._settings.close()
        finally:
            if self.server:
                self.server.stop()


@contextmanager
def prefect_api() -> Iterator[PrefectApi]:
    """Start the embedded API (if no server is configured) and stop it when the block ends."""
    api = PrefectApi()
    try:
        yield api
    finally:
        api.close()
