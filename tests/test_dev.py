"""`contactcenter dev` on a machine with nothing configured: embedded servers, demo data, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from contactcenter.embedded import free_port
from tests.procs import CLI, cli_env


def _start(workdir: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """`contactcenter dev` as a new user runs it: nothing configured, the default data dir."""
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [*CLI, "dev", "--port", str(port)],
        cwd=workdir,
        env=cli_env(CC_LOG_LEVEL="warning"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError("dev exited early:\n" + "".join(lines))
        lines.append(line)
        if "contactcenter dev" not in line and line.strip().startswith("try:"):
            return process, lines
    process.kill()
    raise AssertionError("dev did not print its banner:\n" + "".join(lines))


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    return out


def _get(url: str, token: str | None = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://localhost only
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - localhost
        data: dict[str, object] = json.loads(resp.read())
        return data


def _send(method: str, url: str, token: str, body: dict[str, object]) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - localhost
        data: dict[str, object] = json.loads(resp.read())
        return data


def test_dev_runs_everything_with_demo_data_and_stops_cleanly(tmp_path: Path) -> None:
    """Banner with URLs and tokens; webhooks accepted; tickets visible; Ctrl-C exits 0; restart works."""
    port = free_port()
    base = f"http://localhost:{port}"
    process, lines = _start(tmp_path, port)
    try:
        banner = "".join(lines)
        assert "embedded PostgreSQL" in banner and "embedded Redis" in banner
        assert f"{base}/webhooks/whatsapp/00000000-0000-4000-8000-000000000201" in banner
        assert "cc_demo_admin_token" in banner
        assert _get(f"{base}/readyz")["status"] == "ok"
        kim = "cc_demo_agent_kim_token"  # on shift around the clock in config/demo.toml
        assert (
            _send("PUT", f"{base}/api/v1/me/presence", kim, {"status": "available"})["status"]
            == "available"
        )
        sim = subprocess.run(  # noqa: S603
            [*CLI, "simulate", "--url", base, "--count", "4", "--rate", "50"],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert sim.stdout.count("200 ") == 4, sim.stdout
        tickets = _get(f"{base}/api/v1/tickets", "cc_demo_admin_token")["items"]
        assert isinstance(tickets, list)
        assert {t["channel"] for t in tickets} == {"whatsapp", "telegram"}
        deadline = time.monotonic() + 10  # the dev worker routes the WhatsApp tickets to Kim
        while not _get(f"{base}/api/v1/me/offers", kim)["items"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _get(f"{base}/api/v1/me/offers", kim)["items"]
    finally:
        out = _stop(process)
    assert "stopped." in out
    process, _ = _start(
        tmp_path, port
    )  # same data directory: migrations and demo load are idempotent
    try:
        assert len(_get(f"{base}/api/v1/tickets", "cc_demo_agent_kim_token")["items"]) >= 1  # type: ignore[arg-type]
    finally:
        _stop(process)
