"""Sign-in and sign-out for the dashboards: e-mail and password (argon2id), or an API token,
give a session cookie (HttpOnly, SameSite=Lax, Secure behind https) and a CSRF token."""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
from aiohttp import web

from contactcenter import keys, logs
from contactcenter.api.auth import SESSION_COOKIE
from contactcenter.media.outside import embedded_ipv4
from contactcenter.security import hash_token, password_matches
from contactcenter.store import db
from contactcenter.store import sessions as store
from contactcenter.web.i18n import language_of, text

log = logs.get_logger(__name__)
SESSION_HOURS = 12  # one long shift; then sign in again
# Failed sign-ins allowed per 15 minutes: per account (guessing one password) and per client
# address (guessing many accounts); past that, 429 until the window ends.
FAIL_WINDOW_S = 15 * 60
MAX_FAILS_ACCOUNT = 10
MAX_FAILS_ADDRESS = 50


async def login_page(request: web.Request) -> web.Response:
    return _page(language_of(request.headers.get("Accept-Language", "")), status=200)


async def login(request: web.Request) -> web.Response:
    """A form post from our own page (Origin checked: no login CSRF) → session → /app."""
    lang = language_of(request.headers.get("Accept-Language", ""))
    if not _same_origin(request):
        return _page(lang, "error_origin", status=403)
    form = await request.post()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    token = str(form.get("token", "")).strip()
    redis = request.app[keys.REDIS]
    # Attempts are counted before checking (parallel guesses cannot slip past the limit); a
    # success takes its own attempt back. Token sign-ins count per address only.
    counters = {f"cc:login:addr:{client_address(request)}": MAX_FAILS_ADDRESS}
    if not token:
        counters[f"cc:login:acct:{email.lower()}"] = MAX_FAILS_ACCOUNT
    if await over_limit(request, counters, FAIL_WINDOW_S):
        log.warning("web.login_throttled")
        return _page(lang, "error_throttled", status=429, email=email)
    async with db.connection(request.app[keys.POOL]) as conn:
        user_id = await _check(conn, email, password, token)
    if user_id is None:
        log.info("web.login_failed")
        return _page(lang, "error_credentials", status=401, email=email)
    async with redis.pipeline(transaction=False) as pipe:  # this attempt was no guess
        for key in counters:
            if key.startswith("cc:login:acct:"):
                pipe.delete(key)  # the account's owner is in: their typos are forgiven
            else:
                pipe.decr(key)
        await pipe.execute()
    session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
    async with db.connection(request.app[keys.POOL]) as conn:
        old = request.cookies.get(SESSION_COOKIE)
        if old:  # a new sign-in replaces the browser's old session
            await store.delete(conn, hash_token(old))
        await store.create(conn, hash_token(session), user_id, csrf, expires,
                           hash_token(token) if token else None)  # fmt: skip
    log.info("web.login", user_id=str(user_id))
    response = web.HTTPSeeOther("/app")
    secure = request.app[keys.SETTINGS].public_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_HOURS * 3600, httponly=True,
                        samesite="Lax", secure=secure, path="/")  # fmt: skip
    raise response


async def logout(request: web.Request) -> web.Response:
    if not _same_origin(request):  # another site cannot sign anyone out either
        lang = language_of(request.headers.get("Accept-Language", ""))
        return _page(lang, "error_origin", status=403)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with db.connection(request.app[keys.POOL]) as conn:
            await store.delete(conn, hash_token(cookie))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def _check(conn: asyncpg.Connection, email: str, password: str, token: str) -> UUID | None:
    if token:
        return await store.user_id_by_token(conn, hash_token(token))
    found = await store.login_candidate(conn, email)
    stored = found[1] if found else None
    # ~0.1 s of argon2, off the event loop; hashed even for unknown users: no timing hint
    ok = await asyncio.to_thread(password_matches, stored, password)
    return found[0] if found and ok else None


def client_address(request: web.Request) -> str:
    """Where a request comes from, as the throttles count it: behind a proxy
    (CC_TRUST_FORWARDED_FOR=1) the address the proxy appended last to X-Forwarded-For, else
    the peer's. An IPv6 address counts as its /64, one subscriber's network: a client that
    picks a new address in it for every request gains nothing."""
    address = request.remote or "unknown"
    if request.app[keys.SETTINGS].trust_forwarded_for:
        address = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip() or address
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)  # an IPv4 client through NAT64 or mapped: that client
        return str(inner or ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


async def over_limit(request: web.Request, counters: dict[str, int], window_s: int) -> bool:
    """Count one more for each key (a window of `window_s` from its first count); True when
    any is past its limit. Counted before the work is done: parallel attempts cannot slip by."""
    async with request.app[keys.REDIS].pipeline(transaction=False) as pipe:
        for key in counters:
            pipe.set(key, 0, ex=window_s, nx=True)  # SET NX EX + INCR: Redis 6.2 too
            pipe.incr(key)
        counts = (await pipe.execute())[1::2]
    return any(n > limit for n, limit in zip(counts, counters.values(), strict=True))


def _same_origin(request: web.Request) -> bool:
    """The form came from our own page: its Origin (or Referer) is this host, or the public URL
    (behind a proxy that rewrites Host)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return False
    ours = {request.host, urlsplit(request.app[keys.SETTINGS].public_url).netloc}
    return urlsplit(origin).netloc in ours


def _page(lang: str, error: str | None = None, *, status: int, email: str = "") -> web.Response:
    t = text(lang)
    message = f'<p class="error" role="alert">{escape(t[error])}</p>' if error else ""
    body = LOGIN_HTML.format(
        lang=lang, title=escape(t["sign_in"]), error=message, email_label=escape(t["email"]),
        password_label=escape(t["password"]), or_token=escape(t["or_token"]),
        token_label=escape(t["api_token"]), submit=escape(t["sign_in"]), email=escape(email),
    )  # fmt: skip
    return web.Response(text=body, content_type="text/html", status=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'",
    })  # fmt: skip


LOGIN_HTML = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · contactcenter</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/app/static/app.css"></head>
<body class="login"><main class="login-card"><h1>contactcenter</h1>{error}
<form method="post" action="/login">
<label for="email">{email_label}</label>
<input id="email" name="email" type="email" autocomplete="username" value="{email}" autofocus>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<details><summary>{or_token}</summary>
<label for="token">{token_label}</label>
<input id="token" name="token" type="password" autocomplete="off"></details>
<button type="submit">{submit}</button></form></main></body></html>
"""
