"""``sc_emulator.running()``: a real emulator in a subprocess, for tests, benchmarks and demos."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from .app import TOKEN_FILE
from .login import PASSWORD_FILE
from .tlsgen import CA_FILE

START_TIMEOUT = 30.0


class AdminClient:
    """Small client for the ``/_emulator`` admin routes of a running emulator."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self._emu = emulator
        self._session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        emu = self._emu
        response = self._session.request(method, f"{emu.url}/_emulator{path}", headers={"x-api-key": emu.token},
                                         verify=emu.ca_bundle or True, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"admin {method} {path} failed: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    def info(self) -> dict[str, Any]:
        return self._call("GET", "/info")

    def knobs(self, **changes: Any) -> dict[str, Any]:
        """Read the knobs, or change some: ``admin.knobs(latency_ms=20, fail_rate=0.1)``."""
        return self._call("PATCH", "/knobs", json=changes) if changes else self._call("GET", "/knobs")

    def fail(self, method: str, path: str, nth: int = 1, status: int = 500, times: int = 1,
             when: str = "before") -> dict[str, Any]:
        """Fail the ``nth`` request matching ``method`` and ``path`` (a regex searched in the URL path),
        ``before`` it reaches the service or ``after`` the service has processed it."""
        return self._call("POST", "/faults", json={"method": method, "path": path, "nth": nth, "status": status,
                                                   "times": times, "action": "fail", "when": when})

    def drop(self, method: str, path: str, nth: int = 1, times: int = 1, when: str = "after") -> dict[str, Any]:
        """Cut the connection of the ``nth`` matching request (``after`` processing it, or ``before``)."""
        return self._call("POST", "/faults", json={"method": method, "path": path, "nth": nth, "times": times,
                                                   "action": "drop", "when": when})

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def counters(self) -> dict[str, Any]:
        return self._call("GET", "/counters")

    def count(self, method: str, route_suffix: str) -> int:
        """Requests received for routes whose template ends with ``route_suffix`` (e.g. ``/media/images``)."""
        requests_seen = self.counters()["requests"]
        return sum(n for key, n in requests_seen.items()
                   if key.startswith(method.upper() + " ") and key.endswith(route_suffix))

    def clear_counters(self) -> None:
        self._call("DELETE", "/counters")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def expire_sessions(self) -> int:
        """End every login session and swapped bearer token now; returns how many there were."""
        return self._call("POST", "/sessions/expire")["expired"]

    def place_model(self, project_id: str, *, base_zip: bytes, optimized: list[dict[str, Any]] | None = None,
                    **fields: Any) -> dict[str, Any]:
        """Place a trained model (the emulator cannot train). ``optimized`` items: ``{"zip": bytes,
        "model_format", "precision", "name"}``; other fields: task_id, group_name, architecture, ..."""
        body = dict(fields)
        body["base_zip_b64"] = base64.b64encode(base_zip).decode()
        body["optimized"] = [{**{k: v for k, v in o.items() if k != "zip"},
                              "zip_b64": base64.b64encode(o["zip"]).decode()} for o in optimized or []]
        return self._call("POST", f"/projects/{project_id}/models", json=body)


class RunningEmulator:
    """Handle on an emulator subprocess: ``url``, ``token``, ``ca_bundle``, ids, stop/restart/kill; with a
    login dialect also ``user`` and ``password`` (read from the password file, never passed as an argument)."""

    def __init__(self, data_dir: Path, args: list[str], tls: bool, password_file: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self._args = args
        self._tls = tls
        self._password_file = password_file or self.data_dir / PASSWORD_FILE
        self.url = ""
        self.port = 0
        self.token = ""
        self.ca_bundle: str | None = None
        self.org_id = ""
        self.workspace_id = ""
        self.dialect = ""
        self.workspace_prefix = ""
        self.user: str | None = None
        self.password: str | None = None
        self.process: subprocess.Popen | None = None
        self.admin = AdminClient(self)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, port: int) -> None:
        url_file = self.data_dir / "url.txt"
        url_file.unlink(missing_ok=True)
        log = open(self.data_dir / "emulator.log", "ab")
        cmd = [sys.executable, "-m", "sc_emulator", "serve", "--data-dir", str(self.data_dir), "--port", str(port),
               "--url-file", str(url_file), "--exit-with-parent", *self._args]
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not url_file.exists():
            self._check_alive()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sc_emulator did not start within {START_TIMEOUT:.0f} s; "
                                   f"see {self.data_dir}/emulator.log")
            time.sleep(0.02)
        self.url = url_file.read_text().strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        token_path = self.data_dir / TOKEN_FILE
        # Geti 3.x has no authentication, hence no token file
        self.token = token_path.read_text().strip() if token_path.exists() else ""
        self.ca_bundle = str(self.data_dir / CA_FILE) if self._tls else None
        info = None
        while info is None:  # readiness through an admin route: test knobs never fail those
            self._check_alive()
            try:
                info = self.admin.info()
            except (requests.RequestException, RuntimeError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("sc_emulator started but does not answer") from None
                time.sleep(0.02)
        # Geti 3.x has no organisation, workspace or login: its info leaves them out
        self.org_id, self.workspace_id = info.get("organization_id") or "", info.get("workspace_id") or ""
        self.dialect, self.workspace_prefix = info.get("dialect") or "", info.get("workspace_prefix") or ""
        self.user = info.get("user")
        if self.user is not None:
            self.password = self._password_file.read_text().strip()

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = (self.data_dir / "emulator.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"sc_emulator exited with {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        """Graceful stop (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the cluster goes away without any goodbye."""
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        """Stop (if running) and start again on the same port with the same data dir."""
        port = self.port
        self.stop()
        self.start(port)

    def base(self) -> str:
        """``{url}/api/v1/organizations/{org}/workspaces/{ws}`` (or the dialect's form of it)."""
        return f"{self.url}{self.workspace_prefix}"


@contextlib.contextmanager
def running(data_dir: Path | str, *, tls: bool | None = None, port: int = 0, latency_ms: float = 0,
            fail_rate: float = 0.0, fail_codes: tuple[int, ...] = (500, 502, 503, 429), drop_rate: float = 0.0,
            rate_limit: float | None = None, seed: int = 0, version: str | None = None, csrf: str = "lenient",
            max_upload_bytes: int | None = None, dialect: str = "geti2", user: str | None = None,
            password_file: Path | str | None = None, session_ttl: float | None = None, spa: bool = True,
            tus: bool = True) -> Iterator[RunningEmulator]:
    """Run an emulator in a subprocess (real sockets) for the duration of the ``with`` block.

    ``dialect="geti3"`` runs the Geti 3.x application (HTTPS unless ``tls=False``; ``spa`` and ``tus``
    are its switches); ``tls=None`` means the dialect's default (off for every other dialect)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    tls = (dialect == "geti3") if tls is None else tls
    args = ["--dialect", dialect, "--latency-ms", str(latency_ms), "--fail-rate", str(fail_rate),
            "--fail-codes", ",".join(str(c) for c in fail_codes), "--drop-rate", str(drop_rate),
            "--seed", str(seed), "--csrf", csrf, "--tls" if tls else "--no-tls"]
    if version is not None:
        args += ["--version", version]
    if user is not None:
        args += ["--user", user]
    if password_file is not None:
        args += ["--password-file", str(password_file)]
    if session_ttl is not None:
        args += ["--session-ttl", str(session_ttl)]
    if dialect == "geti3":
        args += ["--spa" if spa else "--no-spa", "--tus" if tus else "--no-tus"]
    if rate_limit:
        args += ["--rate-limit", str(rate_limit)]
    if max_upload_bytes is not None:
        args += ["--max-upload-bytes", str(max_upload_bytes)]
    emulator = RunningEmulator(data_dir, args, tls, Path(password_file) if password_file else None)
    try:
        emulator.start(port)
        yield emulator
    finally:
        emulator.stop()
