"""The embedded Prefect server's process: `python -m retouch.prefect_server_process FD`.

Uvicorn serving Prefect's API app (`prefect.server.api.server:create_app`) on a listening socket
that the parent bound before it started this process (retouch/prefect_api.py). Because the
address exists, and accepts connections, from the moment the parent asks for it, a client may
send requests while this process is still importing the server (seconds): they wait in the
socket's queue and are answered once the app is up, instead of being refused. Uvicorn's own
`--fd` reads an inherited socket as a Unix one; this module hands it the TCP socket itself.
"""

from __future__ import annotations

import socket
import sys


def main(fd: int) -> None:
    import uvicorn

    listening = socket.socket(fileno=fd)  # family and type read from the descriptor
    config = uvicorn.Config(
        "prefect.server.api.server:create_app",
        factory=True,
        log_level="error",
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[listening])


if __name__ == "__main__":
    main(int(sys.argv[1]))
