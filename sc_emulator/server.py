"""Running one emulated cluster with uvicorn (httptools) on a socket bound here, so port 0 works."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .tlsgen import ensure_certificates


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _exit_with_parent(parent: int) -> None:
    """Stop when the process that started us dies (a killed test run must not leave servers behind)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(settings: Any, exit_with_parent: bool = False, build: Callable[[Any], Any] = create_app) -> None:
    """Start the cluster and block until SIGINT/SIGTERM; prints the URL and the emulator's banner lines.

    ``build`` makes the ASGI app from the settings (the 2.x app by default, ``sc_emulator.geti3`` for 3.x);
    the app carries ``.emulator`` with ``version`` and ``banner()``."""
    settings.data_dir = Path(settings.data_dir).resolve()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = build(settings)
    emulator = app.emulator
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and without it Nagle plus
    # delayed ACKs add ~40 ms to every response written in two parts (headers, body).
    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    # Reuse lets restart() bind the same port while old connections sit in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    port = sock.getsockname()[1]
    ssl_args = {}
    scheme = "http"
    ca_path = None
    if settings.tls:
        ca_path, cert, key = ensure_certificates(settings.data_dir)
        ssl_args = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        scheme = "https"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"{scheme}://{host}:{port}"
    if settings.url_file:
        _write_atomically(Path(settings.url_file), url + "\n")
    print(f"sc_emulator {emulator.version} serving {url}", flush=True)
    for line in emulator.banner():
        print(line, flush=True)
    if ca_path:
        print(f"ca bundle: {ca_path}", flush=True)
    if exit_with_parent:
        _exit_with_parent(os.getppid())
    config = uvicorn.Config(app, http="httptools", loop="asyncio", lifespan="on", log_level="warning",
                            access_log=False, timeout_keep_alive=75, backlog=2048, timeout_graceful_shutdown=1,
                            **ssl_args)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.flush()
