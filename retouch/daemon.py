"""The warm local daemon: `retouch edit` and `retouch run` without paying for start-up each time.

A command spends seconds before it edits anything: importing Prefect and OpenCV, booting a
private Prefect API (the embedded default), recording the run. The first `retouch edit` or
`retouch run` therefore starts a daemon in the background: one process that has imported all of
that, owns the Prefect API of the embedded default (or uses the configured server), and runs
the jobs of retouch/jobs.py for later commands, which only send it their parameters over a
Unix socket and print what comes back. It exits after RETOUCH_DAEMON_IDLE_SECONDS without work
(600; 0: no daemon, every command runs in its own process as before).

A daemon serves one configuration: its socket is named by a fingerprint of everything that
decides what a job does (RETOUCH_*, PREFECT_*, AWS_* and model variables after .env, the
retouch.toml file, the Prefect profile, the Python and Retouch's own code), so a command whose
settings or code differ gets a daemon of its own, never a stale one.

This module is the client side of every command (its imports: the standard library only, and
light ones); the daemon itself is retouch/daemon_server.py.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CODE = ("config", "routing", "tasks", "flows", "deployments", "retouch")
ENV_PREFIXES = (
    "RETOUCH_",
    "PREFECT_",
    "AWS_",
    "HF_",
    "HUGGINGFACE_",
    "TRANSFORMERS_",
    "CUDA_",
    "PYTORCH_",
    "OMP_",
    "OPENCV_",
    "PYTHON",
)
ENV_NAMES = ("TZ", "HOME", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
START_TIMEOUT = 120.0
OFF = 3  # the exit status of a daemon whose configuration turns it off


class DaemonUnavailable(RuntimeError):
    """The daemon could not be started or reached; the command runs in its own process."""


class JobFailed(RuntimeError):
    """The job refused its input (exit status 2) or broke (1); the message is one line."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------------
# where a configuration's daemon lives


SOCKET_PATH_MAX = 107  # AF_UNIX: sun_path holds 108 bytes with the terminating zero


def runtime_dir() -> Path:
    """A private folder for sockets: $XDG_RUNTIME_DIR/retouch, else (or when that path is too
    long for a socket's name) /tmp/retouch-<uid>."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base, "retouch") if base else Path(f"/tmp/retouch-{os.getuid()}")
    if len(str(folder)) + len("/0123456789abcdef0123.sock") > SOCKET_PATH_MAX:
        folder = Path(f"/tmp/retouch-{os.getuid()}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise DaemonUnavailable(f"{folder} belongs to another user")
    return folder


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "-"


def fingerprint(env: dict[str, str] | None = None) -> str:
    """What decides a job's outcome, hashed: a daemon serves exactly one of these."""
    env = os.environ if env is None else env
    parts = [sys.executable, str(ROOT)]
    parts += sorted(
        f"{k}={v}"
        for k, v in env.items()
        if (k.startswith(ENV_PREFIXES) or k in ENV_NAMES) and not k.startswith("PREFECT_LOGGING_")
    )
    config = Path(env.get("RETOUCH_CONFIG", "retouch.toml")).resolve()
    if config.is_file():  # without one, commands in any folder share a daemon
        parts.append(f"{config}:{_file_digest(config)}")
    prefect_home = Path(env.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    parts.append(_file_digest(prefect_home / "profiles.toml"))
    for package in CODE:  # the code itself: a daemon never runs what was edited since it started
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".toml", ".yaml"):
                stat = path.stat()
                parts.append(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}")
    parts.append(_file_digest(ROOT / "prefect.yaml"))
    for folder in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
        try:  # a package installed, upgraded or removed changes its site-packages folder
            parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
        except OSError:
            pass
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def socket_path(print_: str) -> Path:
    return runtime_dir() / f"{print_}.sock"


# ------------------------------------------------------------------------------------------------
# the client: every command


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _request(
    path: Path, method: str, url: str, body: dict[str, Any] | None = None, timeout: float | None = 5
):
    connection = _UnixConnection(path, timeout)
    if body is None:  # nothing to send: the daemon may answer (and close) at once
        connection.request(method, url, headers={"Content-Length": "0"})
    else:
        connection.request(
            method, url, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
    return connection, connection.getresponse()


def health(path: Path, timeout: float = 10) -> dict[str, Any] | None:
    """The daemon's status if one answers at `path` (a busy machine may take seconds)."""
    if not path.exists():
        return None
    try:
        connection, response = _request(path, "GET", "/health", timeout=timeout)
        try:
            return json.loads(response.read()) if response.status == 200 else None
        finally:
            connection.close()
    except (OSError, ValueError, http.client.HTTPException):
        return None


def log_path(print_: str) -> Path:
    """Where the daemon of configuration `print_` writes what it has to say."""
    return runtime_dir() / f"{print_}.log"


def ensure_daemon(print_: str) -> Path:
    """The socket of this configuration's daemon, started now if none answers.

    Started at once, before this command reads its settings: the daemon reads them itself
    (how long to stay idle), and exits at once when they turn it off; its imports overlap what
    the command still does."""
    path = socket_path(print_)
    if health(path):
        return path
    with open(path.with_suffix(".lock"), "a") as lock:  # one starter at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if health(path):
            return path
        path.unlink(missing_ok=True)
        log = log_path(print_)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "retouch.daemon_server", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the command; not hit by its Ctrl-C
                cwd=os.getcwd(),
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if health(path):
                print(
                    f"started the warm daemon (pid {process.pid}) for later commands: it exits when idle "
                    "(RETOUCH_DAEMON_IDLE_SECONDS); `retouch daemon stop` stops it now",
                    file=sys.stderr,
                )
                return path
            if process.poll() is not None:
                break
            time.sleep(0.02)
        if process.poll() == OFF:
            raise DaemonUnavailable("the daemon is off (RETOUCH_DAEMON_IDLE_SECONDS=0)")
        process.kill()
        raise DaemonUnavailable(f"the daemon did not start (its log: {log})")


def submit(path: Path, kind: str, params: dict[str, Any], progress: Callable[[int, int], None] | None = None):
    """Run job `kind` in the daemon; its JSON results, or JobFailed."""
    try:
        connection, response = _request(path, "POST", f"/jobs/{kind}", params, timeout=None)
    except OSError as exc:
        raise DaemonUnavailable(f"the daemon at {path} did not take the job: {exc}") from None
    try:
        for line in _lines(response):
            message = json.loads(line)
            if "progress" in message and progress:
                progress(*message["progress"])
            elif "results" in message:
                return message["results"]
            elif "error" in message:
                raise JobFailed(message["error"], message.get("code", 1))
    finally:
        connection.close()
    raise DaemonUnavailable("the daemon closed the connection before the job ended (see its log)")


def _lines(response) -> Iterator[bytes]:
    while True:
        line = response.readline()
        if not line:
            return
        if line.strip():
            yield line


def stop(path: Path) -> bool:
    """Ask the daemon at `path` to exit once its jobs are done; whether one answered."""
    try:
        connection, response = _request(path, "POST", "/stop", timeout=5)
        try:
            response.read()  # the whole answer: closing before it came left a broken pipe there
            return response.status == 200
        finally:
            connection.close()
    except (OSError, http.client.HTTPException):
        return False


def daemons() -> list[tuple[Path, dict[str, Any] | None]]:
    """Every daemon socket of this user, with its status (None: a dead one's socket)."""
    try:
        folder = runtime_dir()
    except DaemonUnavailable:
        return []
    return [(path, health(path)) for path in sorted(folder.glob("*.sock"))]
