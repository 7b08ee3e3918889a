"""`contactcenter serve | worker | migrate | dev | users add | simulate | coverage`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

from contactcenter import logs
from contactcenter.settings import Settings, require


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _install_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()


def cmd_serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from contactcenter.app import create_app

    settings = _settings(args)
    _install_uvloop()
    web.run_app(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=None,
        print=None,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from workers.settings import create_worker

    settings = _settings(args)
    _install_uvloop()
    create_worker(settings, handle_signals=True).run()


def cmd_migrate(args: argparse.Namespace) -> None:
    from contactcenter.store.migrations import migrate

    settings = _settings(args)
    applied = asyncio.run(migrate(require(settings.database_url, "CC_DATABASE_URL")))
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none, up to date'}")


def cmd_users_add(args: argparse.Namespace) -> None:
    from contactcenter.actions.users import do_create_user
    from contactcenter.api.schemas import UserIn
    from contactcenter.errors import ApiError
    from contactcenter.store import db

    settings = _settings(args)
    try:
        body = UserIn(
            email=args.email, name=args.name or "", role=args.role, timezone=args.timezone
        )
    except ValueError as exc:
        raise SystemExit(f"invalid user: {exc}") from None

    async def run() -> str:
        conn = await db.connect(require(settings.database_url, "CC_DATABASE_URL"))
        try:
            user, token = await do_create_user(conn, body)
        finally:
            await conn.close()
        print(f"created {user.role.value} {user.email} ({user.id}); API token (shown once):")
        return token

    try:
        print(asyncio.run(run()))
    except ApiError as exc:
        raise SystemExit(exc.message) from None


def cmd_users_passwd(args: argparse.Namespace) -> None:
    """Set a user's dashboard password, read from stdin (one line) or asked for."""
    import getpass

    from contactcenter.security import hash_password
    from contactcenter.store import db
    from contactcenter.store import sessions as store

    settings = _settings(args)
    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("Password: ")
    if len(password) < 8:
        raise SystemExit("the password is too short: use at least 8 characters")

    async def run() -> object:
        conn = await db.connect(require(settings.database_url, "CC_DATABASE_URL"))
        try:
            return await store.set_password(conn, args.email, hash_password(password))
        finally:
            await conn.close()

    if asyncio.run(run()) is None:
        raise SystemExit(f"no user {args.email}; create it with `contactcenter users add`")
    print(f"password set for {args.email}; sign in at /login")


@contextlib.contextmanager
def _services(settings: Settings) -> Iterator[Settings]:
    """The configured PostgreSQL/Redis, or embedded ones for whichever URL is unset."""
    from contactcenter import embedded

    with contextlib.ExitStack() as stack:
        updates: dict[str, Any] = {}
        if not settings.database_url:
            print(
                "CC_DATABASE_URL not set: starting embedded PostgreSQL in", settings.data_dir / "pg"
            )
            updates["database_url"] = stack.enter_context(
                embedded.postgres(settings.data_dir / "pg")
            )
        if not settings.redis_url:
            print("CC_REDIS_URL not set: starting embedded Redis")
            updates["redis_url"] = stack.enter_context(embedded.redis(settings.data_dir / "redis"))
        yield settings.model_copy(update=updates)


def cmd_dev(args: argparse.Namespace) -> None:
    from contactcenter.devserver import run_dev

    settings = _settings(args)
    if args.port:
        settings = settings.model_copy(
            update={"port": args.port, "public_url": f"http://localhost:{args.port}"}
        )
    _install_uvloop()
    with _services(settings) as ready:
        asyncio.run(run_dev(ready))


def cmd_simulate(args: argparse.Namespace) -> None:
    from contactcenter.simulate import simulate

    _settings(args)
    asyncio.run(simulate(args.url, args.count, args.rate))


def cmd_coverage(args: argparse.Namespace) -> None:
    from contactcenter.coverage.terminal import report

    settings = _settings(args)
    dsn = require(settings.database_url, "CC_DATABASE_URL")
    color = sys.stdout.isatty() and not args.no_color
    print(asyncio.run(report(dsn, args.queue, args.brand, args.days, args.interval,
                             color=color, as_json=args.json)))  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactcenter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web process (webhooks, REST API)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run the arq worker (routing, timers, delivery)").set_defaults(
        func=cmd_worker
    )
    sub.add_parser("migrate", help="apply pending SQL migrations").set_defaults(func=cmd_migrate)
    dev = sub.add_parser(
        "dev", help="everything at once with demo data; embedded PostgreSQL/Redis if unset"
    )
    dev.add_argument("--port", type=int)
    dev.set_defaults(func=cmd_dev)
    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="create a user; prints its API token as the last line")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=["agent", "supervisor", "admin"])
    add.add_argument("--name")
    add.add_argument("--timezone", default="UTC")
    add.set_defaults(func=cmd_users_add)
    passwd = users.add_parser("passwd", help="set a user's dashboard password")
    passwd.add_argument("email")
    passwd.add_argument("--stdin", action="store_true", help="read the password from stdin")
    passwd.set_defaults(func=cmd_users_passwd)
    sim = sub.add_parser(
        "simulate", help="post signed demo WhatsApp/Telegram webhooks to a running server"
    )
    sim.add_argument("--url", default="http://localhost:8080")
    sim.add_argument("--count", type=int, default=20)
    sim.add_argument("--rate", type=float, default=5.0, help="messages per second")
    sim.set_defaults(func=cmd_simulate)
    cov = sub.add_parser(
        "coverage", help="agents needed (Erlang C) vs on shift per interval, as a heatmap"
    )
    cov.add_argument("--queue", required=True, help="queue name")
    cov.add_argument("--brand", help="brand name, when several brands have such a queue")
    cov.add_argument("--days", type=int, default=14, choices=range(1, 32), metavar="1-31")
    cov.add_argument("--interval", type=int, default=30, choices=(15, 30, 60))
    cov.add_argument("--no-color", action="store_true")
    cov.add_argument("--json", action="store_true", help="the intervals as JSON instead")
    cov.set_defaults(func=cmd_coverage)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args.func(args)


if __name__ == "__main__":
    main()
