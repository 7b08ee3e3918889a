"""The dashboard app's shell and files: /app (the page, with the session's CSRF token), its
static ES modules and CSS, and the UI words per language."""

from __future__ import annotations

from html import escape
from pathlib import Path

from aiohttp import web

from contactcenter import keys
from contactcenter.api.auth import SESSION_COOKIE
from contactcenter.security import hash_token
from contactcenter.store import db
from contactcenter.store import sessions as store
from contactcenter.web.i18n import LANGUAGES, text

STATIC = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
HEADERS = {
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
}  # fmt: skip


async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/app")


async def app_page(request: web.Request) -> web.Response:
    """The app for a signed-in user; everyone else goes to /login."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = None
    if cookie:
        async with db.connection(request.app[keys.POOL]) as conn:
            found = await store.user_by_session(conn, hash_token(cookie))
    if found is None:
        raise web.HTTPFound("/login")
    user, csrf = found
    lang = user.language if user.language in LANGUAGES else "en"
    page = (STATIC / "index.html").read_text()
    page = page.replace("{{lang}}", lang).replace("{{csrf}}", escape(csrf))
    return web.Response(text=page, content_type="text/html",
                        headers=HEADERS | {"Cache-Control": "no-store"})  # fmt: skip


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or path.suffix not in TYPES or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=HEADERS | {"Content-Type": TYPES[path.suffix],
                                                     "Cache-Control": "no-cache"})  # fmt: skip


async def words(request: web.Request) -> web.Response:
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound()
    return web.json_response(text(lang), headers={"Cache-Control": "public, max-age=300"})
