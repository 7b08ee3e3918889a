"""Lean HTTP/1.1 load client for bench/ingest.py: keep-alive connections, pre-serialized POSTs.

Timed phases only write pre-built requests, parse status line, headers and a Content-Length
body, and record times; the PhaseResult (latencies, late sends, acked wamids) is worked out
after the clock stops. aiohttp's client cost ~37% of the generator core at 1,000 req/s.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple, cast
from urllib.parse import urlsplit

from loadgen import LATE_MS, REQUEST_TIMEOUT_S, PhaseResult, Webhook, cpu_seconds

MAX_CONNECTIONS = 512  # beyond this, requests queue client-side (and are counted)


class ProtocolError(RuntimeError):
    """The server answered something this client does not read (chunked, no length, junk)."""


class Batch(NamedTuple):
    """Requests ready to go on the wire, and the wamid each one carries."""

    wamids: list[str]
    requests: list[bytes]


def encode(host: str, path: str, hook: Webhook) -> bytes:
    """One signed webhook POST as its bytes on the wire, request line through body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Hub-Signature-256: {hook.signature}\r\nContent-Length: {len(hook.body)}\r\n\r\n"
    )
    return head.encode("latin-1") + hook.body


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, body length and keep-alive from a response head (without its final CRLFCRLF)."""
    status_line, *lines = head.split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1.") or not rest[:3].isdigit():
        raise ProtocolError(f"bad status line {status_line!r}")
    status, length, keep = int(rest[:3]), -1, version == b"HTTP/1.1"
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ProtocolError(f"bad header line {line!r}")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise ProtocolError(f"Transfer-Encoding {value!r} is not supported")
        elif name == b"connection" and value in (b"close", b"keep-alive"):
            keep = value == b"keep-alive"
    length = 0 if status in (204, 304) else length
    if status < 200 or length < 0:
        raise ProtocolError(f"response {status} is informational or has no Content-Length")
    return status, length, keep


class Conn(asyncio.Protocol):
    """One keep-alive connection carrying at most one request at a time."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.transport: asyncio.Transport  # set by connection_made
        self.buf = bytearray()
        self.index = -1  # the request in flight; -1 when idle
        self.need = -1  # bytes of head + body, once the head is in
        self.status, self.keep = 0, True
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = cast(asyncio.Transport, transport)

    def send(self, index: int) -> None:
        """Write request `index` of the running phase and arm its timeout."""
        self.index = index
        self.client.sent_at[index] = time.perf_counter()
        self.transport.write(self.client.requests[index])
        self.timer = self.client.loop.call_later(REQUEST_TIMEOUT_S, self.abort, "TimeoutError")

    def data_received(self, data: bytes) -> None:
        """Collect the response; complete the request once head and body are in."""
        self.buf += data
        if self.need < 0 and (end := self.buf.find(b"\r\n\r\n")) >= 0:
            try:
                self.status, length, self.keep = parse_head(bytes(self.buf[:end]))
            except (ProtocolError, ValueError) as exc:
                self.client.fail(ProtocolError(str(exc)))
                return
            self.need = end + 4 + length
        if self.index < 0 or len(self.buf) > self.need >= 0:
            self.client.fail(ProtocolError(f"unexpected bytes from the server: {bytes(data)!r}"))
        elif len(self.buf) == self.need:
            self.complete(str(self.status))

    def complete(self, status: str) -> None:
        """Record the request's outcome and hand the connection back (or close it)."""
        now, index = time.perf_counter(), self.index
        self.index, self.need = -1, -1
        self.buf.clear()
        if self.timer is not None:
            self.timer.cancel()
        if not self.keep:
            self.transport.close()
        self.client.release(self)
        self.client.finish(index, status, now)

    def abort(self, status: str) -> None:
        """Give up on the connection; the request it carried, if any, ends as `status`."""
        self.keep = False
        if self.index >= 0:
            self.complete(status)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the connection from the pool; fail the request it carried, if any."""
        self.client.lost(self)
        self.abort(type(exc).__name__ if exc else "ServerDisconnected")


class Client:
    """Keep-alive connections to one server, driving one phase at a time."""

    def __init__(self, url: str, path: str, cap: int = MAX_CONNECTIONS) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.netloc = parts.hostname or "", parts.port or 80, parts.netloc
        self.path, self.cap, self.connecting = path, cap, 0
        self.loop = asyncio.get_running_loop()
        self.conns: set[Conn] = set()
        self.free: list[Conn] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.begin([], closed=False)

    def prepare(self, hooks: Sequence[Webhook]) -> Batch:
        """Serialize webhooks before a timed phase."""
        encoded = [encode(self.netloc, self.path, hook) for hook in hooks]
        return Batch([hook.wamid for hook in hooks], encoded)

    async def open(self, count: int) -> None:
        """Open `count` idle connections ahead of the load."""
        self.free += await asyncio.gather(*(self.connect() for _ in range(count)))

    async def connect(self) -> Conn:
        """One new connection in the pool."""
        _, conn = await self.loop.create_connection(lambda: Conn(self), self.host, self.port)
        self.conns.add(conn)
        return conn

    def close(self) -> None:
        """End the phase and pending connects; close every connection."""
        if not self.done.done():
            self.done.cancel()  # stops the schedule: tick and submit check it
        for task in self.tasks:
            task.cancel()
        for conn in list(self.conns):
            conn.transport.close()

    def begin(self, requests: list[bytes], *, closed: bool) -> None:
        """Reset the per-phase records for `requests`; a closed loop refills as answers come."""
        n = len(requests)
        self.requests, self.closed, self.next, self.left = requests, closed, 0, n
        self.due, self.sent_at, self.done_at = [0.0] * n, [0.0] * n, [0.0] * n
        self.status, self.opened, self.queued = [""] * n, 0, 0
        self.backlog: deque[int] = deque()
        self.done: asyncio.Future[None] = self.loop.create_future()

    def push(self, due: float) -> None:
        """Submit the phase's next request, recording when it was due."""
        self.due[self.next] = due
        self.next += 1
        self.submit(self.next - 1)

    def submit(self, index: int) -> None:
        """Send a request now: on an idle connection, a new one below the cap, else queue it."""
        if self.done.done():
            return  # the phase failed
        if self.free:
            self.free.pop().send(index)
        elif len(self.conns) + self.connecting < self.cap:
            self.opened += 1
            self.grow(index)
        else:
            self.queued += 1
            self.backlog.append(index)

    def grow(self, index: int) -> None:
        """Open one more connection in the background and send request `index` on it."""
        task = self.loop.create_task(self.send_new(index))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def send_new(self, index: int) -> None:
        """Connect, then send request `index`; a failed connect is that request's outcome."""
        self.connecting += 1
        try:
            conn = await self.connect()
        except OSError as exc:
            self.finish(index, type(exc).__name__, time.perf_counter())
            return
        finally:
            self.connecting -= 1
        conn.send(index)

    def release(self, conn: Conn) -> None:
        """A connection is idle again: give it the oldest queued request, or park it."""
        if not (conn.keep and conn in self.conns):
            return  # closing; `lost` follows
        if self.backlog:
            conn.send(self.backlog.popleft())
        else:
            self.free.append(conn)

    def lost(self, conn: Conn) -> None:
        """A connection closed: drop it, and open another for queued requests."""
        self.conns.discard(conn)
        if conn in self.free:
            self.free.remove(conn)
        if self.backlog and not self.done.done():
            self.grow(self.backlog.popleft())

    def finish(self, index: int, status: str, now: float) -> None:
        """Record one outcome; top up a closed loop; end the phase after the last answer."""
        self.done_at[index], self.status[index] = now, status
        self.left -= 1
        if self.closed and self.next < len(self.requests):
            self.push(time.perf_counter())
        if self.left == 0 and not self.done.done():
            self.done.set_result(None)

    def fail(self, exc: Exception) -> None:
        """Abort the phase loudly: the server spoke something this client cannot parse."""
        if not self.done.done():
            self.done.set_exception(exc)
        self.close()

    def tick(self, start: float, rate: float) -> None:
        """Send every request whose time has come, then sleep until the next is due."""
        now, total = time.perf_counter(), len(self.requests)
        while self.next < total and start + self.next / rate <= now and not self.done.done():
            self.push(start + self.next / rate)
        if self.next < total and not self.done.done():
            delay = start + self.next / rate - time.perf_counter()
            # whole ms, rounded up: uvloop rounds timers to ms, so a sub-ms sleep would spin
            pause = math.ceil(max(0.0, delay) * 1000) / 1000
            self.loop.call_later(pause, self.tick, start, rate)

    async def closed_loop(self, batch: Batch, concurrency: int) -> PhaseResult:
        """Keep `concurrency` requests in flight until the batch is answered (the warm-up)."""
        self.begin(batch.requests, closed=True)
        cpu0, start = cpu_seconds(), time.perf_counter()
        while self.next < min(concurrency, len(batch.requests)):
            self.push(time.perf_counter())
        if self.requests:
            await self.done
        return self.result(batch, start, cpu_seconds() - cpu0)

    async def open_loop(self, batch: Batch, rate: float, duration_s: float) -> PhaseResult:
        """Send request i at start + i/rate whatever the answers; latency from that time."""
        total = min(len(batch.requests), int(rate * duration_s))
        self.begin(batch.requests[:total], closed=False)
        cpu0, start = cpu_seconds(), time.perf_counter() + 0.01
        self.tick(start, rate)
        if total:
            await self.done
        result = self.result(batch, start, cpu_seconds() - cpu0)
        result.exhausted = total < int(rate * duration_s)
        return result

    def result(self, batch: Batch, start: float, cpu_s: float) -> PhaseResult:
        """The phase's PhaseResult, worked out from the per-request records."""
        result = PhaseResult(sent=len(self.requests), gen_cpu_s=cpu_s)
        for i, status in enumerate(self.status):
            result.count(status)
            result.latencies_ms.append((self.done_at[i] - self.due[i]) * 1000)
            if status == "200":
                result.acked.append(batch.wamids[i])
        lags = zip(self.sent_at, self.due, strict=True)
        result.late = sum(1 for sent, due in lags if sent and (sent - due) * 1000 > LATE_MS)
        result.elapsed_s = max(self.done_at, default=start) - start
        result.dispatch_s = max(self.sent_at, default=start) - start
        result.connections_opened, result.queued = self.opened, self.queued
        return result
