"""The deployment files: docker-compose services, health checks and commands that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contactcenter.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_has_every_service_with_health_checks_and_order() -> None:
    """postgres, redis, migrate, web, worker; data stores are health-checked; apps wait for migrate."""
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker"}
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_compose_commands_are_real_cli_commands() -> None:
    """Each app service runs a `contactcenter` subcommand the CLI actually has."""
    services = _compose()["services"]
    parser = build_parser()
    for name in ("migrate", "web", "worker"):
        command = services[name]["command"]
        assert command[0] == "contactcenter"
        args = parser.parse_args(command[1:])
        assert callable(args.func), name
    env = services["web"]["environment"]
    assert (
        env["CC_DATABASE_URL"].startswith("postgresql://")
        and "${POSTGRES_PASSWORD:?" in env["CC_DATABASE_URL"]
    )
    assert env["CC_REDIS_URL"] == "redis://redis:6379/0"


def test_dockerfile_ships_sql_and_config() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for path in ("sql", "config", "contactcenter", "workers"):
        assert f"COPY {path} ./{path}" in dockerfile
