"""Run real `contactcenter` processes for tests that need more than one process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from contactcenter.embedded import free_port

CLI = [sys.executable, "-m", "contactcenter"]


def cli_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(overrides)
    return env


@contextlib.asynccontextmanager
async def serve(database_url: str, redis_url: str, **env: str) -> AsyncIterator[tuple[str, Path]]:
    """A `contactcenter serve` subprocess; yields its base URL and the file its stderr goes to."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="cc-serve-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=cli_env(CC_DATABASE_URL=database_url, CC_REDIS_URL=redis_url, **env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, process, log_path)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log_path.unlink(missing_ok=True)


async def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server did not become ready:\n{log.read_text()}")
