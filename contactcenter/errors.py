"""Error codes and the one exception type the API turns into HTTP.

A leaf module: it imports nothing of ours, so every layer can raise `ApiError`.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Machine-readable error codes; the HTTP status of each is fixed in `STATUS`."""

    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    VALIDATION_FAILED = "validation_failed"
    INVALID_CURSOR = "invalid_cursor"
    UNAUTHENTICATED = "unauthenticated"
    BAD_SIGNATURE = "bad_signature"
    FORBIDDEN = "forbidden"
    VERIFY_TOKEN_MISMATCH = "verify_token_mismatch"  # noqa: S105 - an error code
    NOT_FOUND = "not_found"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_ACCOUNT = "unknown_account"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    WINDOW_CLOSED = "window_closed"
    CHANNEL_RULE = "channel_rule"  # the platform would refuse it (files it cannot carry)
    RATE_LIMITED = "rate_limited"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    DATABASE_UNAVAILABLE = "database_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    INTERNAL = "internal_error"


STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.VALIDATION_FAILED: 400,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.BAD_SIGNATURE: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.VERIFY_TOKEN_MISMATCH: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNKNOWN_CHANNEL: 404,
    ErrorCode.UNKNOWN_ACCOUNT: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.WINDOW_CLOSED: 409,
    ErrorCode.CHANNEL_RULE: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.STORE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class ApiError(Exception):
    """An error meant for the caller: a code, its HTTP status and a message saying how to fix it."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code.value, "message": self.message}}
