"""multipart/form-data, split the fast way: Mailgun and SendGrid post whole e-mails as form
fields, and the e-mail package's general MIME parser took ~0.5 ms per form on the web process's
event loop (three parses per request). Form data is flat (RFC 7578: no nested multiparts), so
splitting on the boundary and reading each part's two headers is enough."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass

_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def params(header: str) -> dict[str, str]:
    """`form-data; name="x"; filename="y"` → {"name": "x", "filename": "y"}."""
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(header)}  # fmt: skip


_LAST: list[tuple[bytes, str, list[Part]]] = []  # verify and parse read the same request


def parts(body: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart/form-data body (empty for anything else or without boundary)."""
    if _LAST and _LAST[0][0] is body and _LAST[0][1] == content_type:
        return _LAST[0][2]
    found = _split(body, content_type)
    _LAST[:] = [(body, content_type, found)]
    return found


def _split(body: bytes, content_type: str) -> list[Part]:
    if not content_type.lower().startswith("multipart/form-data"):
        return []
    boundary = params(content_type).get("boundary")
    if not boundary:
        return []
    out: list[Part] = []
    # a delimiter counts only at the start of a line (RFC 2046), never inside a value
    first = body.find(b"--" + boundary.encode())
    crlf = body[first + len(boundary) + 2 : first + len(boundary) + 4] == b"\r\n"
    newline = b"\r\n" if crlf else b"\n"  # as the first delimiter line ends (bare newlines)
    for chunk in (newline + body).split(newline + b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            break
        head, sep, data = chunk.removeprefix(b"\r\n").removeprefix(b"\n").partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.lstrip(b"\r\n").partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = params(";" + headers.get("content-disposition", "").partition(";")[2])
        if "name" not in disposition:
            continue
        encoding = headers.get("content-transfer-encoding", "").lower()
        try:
            if encoding == "base64":
                data = base64.b64decode(data)
            elif encoding == "quoted-printable":
                data = quopri.decodestring(data)
        except (binascii.Error, ValueError):
            continue
        mime = headers.get("content-type", "text/plain").split(";")[0].strip().lower()
        out.append(Part(disposition["name"], disposition.get("filename"), mime, data))
    return out
