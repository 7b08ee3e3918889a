"""Baseline for bench/ingest.py: a bare aiohttp server that reads each body and answers 200.

It does what any aiohttp webhook endpoint must (accept the connection, parse HTTP, read the
body, send a small JSON response) and nothing else, so contactcenter/bare shows the cost of
verifying, parsing and committing a webhook on top of the HTTP work itself.
"""

from __future__ import annotations

import argparse
import contextlib

from aiohttp import web

ANSWER = b'{"stored":1,"duplicates":0,"statuses":0,"ignored":0}'


async def receive(request: web.Request) -> web.Response:
    """Read the whole body, then answer 200 with a tiny JSON body."""
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


async def health(request: web.Request) -> web.Response:
    """Readiness probe used by the benchmark."""
    return web.Response(body=b'{"status":"ok"}', content_type="application/json")


def create_app() -> web.Application:
    """The app: POST anything is a webhook, GET /readyz is the probe."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_get("/readyz", health)
    app.router.add_post("/{tail:.*}", receive)
    return app


def main() -> None:
    """Serve on --host/--port with uvloop when importable, without an access log."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    web.run_app(create_app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
