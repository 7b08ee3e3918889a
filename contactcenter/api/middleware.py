"""The one middleware: request id, access log, and every error rendered as JSON.

Only here do exceptions become HTTP responses: `ApiError` with its code and status, aiohttp's
own HTTP errors (unknown route, wrong method, body too large) with a matching code, anything
else as a 500 whose details go to the log, not to the caller.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from contactcenter import logs
from contactcenter.api.http import json_response
from contactcenter.errors import ApiError, ErrorCode

log = logs.get_logger("contactcenter.http")

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}
_HTTP_MESSAGES = {
    404: "No such URL. The API lives under /api/v1 (see /api/openapi.json); webhooks under "
    "/webhooks/{channel}/{account_id}.",
    405: "This URL does not accept that method; see /api/openapi.json.",
    413: "The request body is larger than this server accepts (CC_MAX_BODY_BYTES).",
}


def _error(exc: ApiError, request_id: str) -> web.Response:
    response = json_response(exc.as_json(), status=exc.status)
    response.headers["X-Request-Id"] = request_id
    return response


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    logs.clear()
    logs.bind(request_id=request_id)
    started = time.perf_counter()
    try:
        response = await handler(request)
        response.headers["X-Request-Id"] = request_id
    except ApiError as exc:
        response = _error(exc, request_id)
    except ConnectionResetError:  # the client hung up mid-request; nobody is left to answer
        log.info("http.client_disconnected", method=request.method)
        response = _error(ApiError(ErrorCode.BAD_REQUEST, "Client disconnected."), request_id)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, ErrorCode.BAD_REQUEST)
        response = _error(ApiError(code, _HTTP_MESSAGES.get(exc.status, exc.reason)), request_id)
    except Exception:  # the caller gets a JSON 500; the traceback goes to the log
        log.exception("http.unhandled", method=request.method, path=request.path)
        response = _error(
            ApiError(ErrorCode.INTERNAL, "Internal error; it has been logged."), request_id
        )
    ms = round((time.perf_counter() - started) * 1000, 2)
    if not response.prepared:  # a stream (SSE, files) has sent its headers already
        response.headers["Server-Timing"] = f"app;dur={ms}"  # bench/dashboard reads it
    route = request.match_info.route.resource
    log.info(
        "http.request",
        method=request.method,
        route=route.canonical if route else "unmatched",  # the template: no ids, tokens or query
        status=response.status,
        ms=ms,
    )
    return response
