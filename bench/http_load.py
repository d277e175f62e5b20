"""A small HTTP load generator for the HTTP benchmarks: asyncio, HTTP/1.1, no dependencies.

Gunicorn's sync workers close the connection after every response, so every request opens its
own connection (``Connection: close``) and reads to the end of the stream: the client needs
nothing more than a request line, a few headers and a status line. It is kept this small on
purpose: the load generator shares the machine with the server and the database, and every
microsecond it spends is one the server does not get.

A *flow* is what one simulated client does for one unit of work (one request, or a request and
the one that follows from its answer); it returns the :class:`Call`\\ s it made. Two ways to
drive flows:

- :func:`closed_loop`: ``clients`` flows at a time, each client starting its next flow when the
  last one ends, for ``duration`` seconds (after ``warmup`` seconds not counted): throughput.
- :func:`open_loop`: flows started at a fixed rate whatever the server does, each timed from the
  moment it was *due* to start (so a slow server cannot hide its queue by slowing the client
  down — no coordinated omission): latency at a given load.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

CONNECT_TIMEOUT_S = 10.0
RESPONSE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Call:
    label: str
    status: int
    ms: float


@dataclass
class Server:
    host: str
    port: int

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Connection: close",
            "Accept: application/json",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S
        )
        try:
            writer.write(raw)
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), RESPONSE_TIMEOUT_S)
        finally:
            writer.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        parsed = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed[name.strip().lower()] = value.strip()
        if "content-length" in parsed:
            rest = rest[: int(parsed["content-length"])]
        return Response(status=status, headers=parsed, body=rest)

    async def timed(
        self,
        label: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[Response, Call]:
        start = time.perf_counter()
        response = await self.request(method, path, body=body, headers=headers)
        return response, Call(label, response.status, (time.perf_counter() - start) * 1000)

    async def wait_ready(self, path: str, *, timeout_s: float = 60.0) -> None:
        """Until ``path`` answers 200 (the server has started its workers)."""
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            try:
                response = await self.request("GET", path)
                if response.status == 200:
                    return
                last = response.status
            except OSError as error:
                last = error
            await asyncio.sleep(0.2)
        raise RuntimeError(f"server on port {self.port} not ready: {last!r}")


# A flow: the n-th unit of work → the calls it made; ok when it ended as it should.
Flow = Callable[[int], Awaitable["FlowResult"]]


@dataclass
class FlowResult:
    ok: bool
    calls: list[Call]
    detail: str = ""


@dataclass
class Run:
    """What one closed- or open-loop run measured (counted flows only)."""

    duration_s: float
    flows: list[tuple[float, FlowResult]] = field(default_factory=list)  # (flow ms, result)
    # Every flow that ended during the run, warm-up included (what the CPU time was spent on).
    completed: int = 0
    # Open loop: flows still waiting for their answer when the run gave up on them, and whether
    # it stopped starting new ones because too many were waiting (the server cannot keep up).
    abandoned: int = 0
    saturated: bool = False
    # What the processes involved spent, filled in by the caller (ms of CPU per completed flow).
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return sum(1 for _, r in self.flows if r.ok)

    @property
    def failed(self) -> int:
        return len(self.flows) - self.ok

    def per_s(self) -> float:
        return self.ok / self.duration_s

    def flow_ms(self, *, failed_too: bool = False) -> list[float]:
        """Flow times of the good flows; with ``failed_too``, of every counted flow (a failed or
        abandoned one with the time it took to fail: a lower bound on what it would have taken)."""
        return sorted(ms for ms, r in self.flows if r.ok or failed_too)

    def call_ms(self, label: str) -> list[float]:
        return sorted(c.ms for _, r in self.flows if r.ok for c in r.calls if c.label == label)

    def failures(self, limit: int = 5) -> list[str]:
        return [r.detail or str([c.status for c in r.calls]) for _, r in self.flows if not r.ok][
            :limit
        ]


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of samples (ms), nearest-rank; zeros when there are none."""
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1))]

    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(rank(0.95), 2),
        "p99_ms": round(rank(0.99), 2),
        "max_ms": round(ordered[-1], 2),
    }


async def closed_loop(flow: Flow, *, clients: int, duration_s: float, warmup_s: float) -> Run:
    """``clients`` clients, each running flows back to back; flows that *end* inside the
    measured window (after the warm-up) are counted."""
    counter = iter(range(10**12))
    start = time.perf_counter()
    begin, end = start + warmup_s, start + warmup_s + duration_s
    run = Run(duration_s=duration_s)

    async def client() -> None:
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            try:
                result = await flow(next(counter))
            except (OSError, TimeoutError, ValueError, IndexError) as error:
                result = FlowResult(False, [], f"{type(error).__name__}: {error}")
            t1 = time.perf_counter()
            run.completed += 1
            if begin <= t1 < end:
                run.flows.append(((t1 - t0) * 1000, result))

    await asyncio.gather(*(client() for _ in range(clients)))
    return run


async def open_loop(
    flow: Flow,
    *,
    rate_per_s: float,
    duration_s: float,
    warmup_s: float,
    patience_s: float,
    max_waiting: int = 50,
) -> Run:
    """Flows started every 1/rate seconds; each timed from when it was due. Flows *due* inside
    the measured window (after the warm-up) are counted, however late they end — but a server
    that falls behind is given ``patience_s`` after the last start to catch up: flows still
    unanswered then are abandoned and count as failed, with the time they had waited. With
    ``max_waiting`` flows unanswered at once the server cannot keep up: no more are started
    (``saturated``; it would only lengthen the queue the server still works through after)."""
    interval = 1.0 / rate_per_s
    start = time.perf_counter() + 0.05
    begin = start + warmup_s
    total = int((warmup_s + duration_s) * rate_per_s)
    run = Run(duration_s=duration_s)
    pending: dict[asyncio.Task[None], float] = {}
    ended: list[tuple[float, float, FlowResult]] = []  # (due, ms, result)
    waiting = 0

    async def one(n: int, due: float) -> None:
        nonlocal waiting
        waiting += 1
        try:
            result = await flow(n)
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            result = FlowResult(False, [], f"{type(error).__name__}: {error}")
        finally:
            waiting -= 1
        run.completed += 1
        ended.append((due, (time.perf_counter() - due) * 1000, result))

    for n in range(total):
        due = start + n * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if waiting >= max_waiting:
            run.saturated = True
            break
        pending[asyncio.ensure_future(one(n, due))] = due
    _done, late = await asyncio.wait(pending, timeout=patience_s)
    now = time.perf_counter()
    for task in late:
        task.cancel()
        run.abandoned += 1
        waited = (now - pending[task]) * 1000
        ended.append(
            (pending[task], waited, FlowResult(False, [], f"abandoned after {waited:.0f} ms"))
        )
    await asyncio.gather(*late, return_exceptions=True)
    # A saturated run may have stopped before the measured window: then every flow it started
    # counts (its times are what a client waited, from the first request on).
    run.flows = [(ms, result) for due, ms, result in ended if due >= begin or run.saturated]
    return run
