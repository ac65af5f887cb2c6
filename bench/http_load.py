"""A small load generator for the benchmarks: keep-alive HTTP/1.1 connections on one asyncio loop,
parsed by httptools (uvicorn's own parser), so the client costs a fraction of what the server does
per request and does not flatten the ratios between a cheap and an expensive page.

A job is a list of requests fired at the same moment on connections of their own (one request for
an ordinary call, two for a double scan racing its first scan); `burst` runs jobs from a fixed
number of workers and returns every answer with its latency.
"""

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field

import httptools


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    tag: object = None  # what the caller needs to check the answer (a member id, ...)


@dataclass
class Answer:
    request: Request
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float


class Connection:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, request: Request) -> Answer:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        if request.body or request.method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(request.body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        started = time.perf_counter()
        self.writer.write(head + request.body)
        status, headers, body, keep_alive = await self._read()
        ms = (time.perf_counter() - started) * 1000
        if not keep_alive:
            await self.close()
        return Answer(request, status, headers, body, ms)

    async def _read(self):
        headers: dict[str, str] = {}
        chunks: list[bytes] = []
        done = False

        class Callbacks:
            def on_header(self, name, value):
                headers[name.decode("latin-1").lower()] = value.decode("latin-1")

            def on_body(self, body):
                chunks.append(body)

            def on_message_complete(self):
                nonlocal done
                done = True

        parser = httptools.HttpResponseParser(Callbacks())
        while not done:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the connection mid-answer")
            parser.feed_data(data)
        return parser.get_status_code(), headers, b"".join(chunks), parser.should_keep_alive()


async def _burst(host: str, port: int, jobs: list[list[Request]], concurrency: int):
    queue = list(reversed(jobs))
    answers: list[Answer] = []
    errors: list[str] = []

    async def worker():
        connections: list[Connection] = []
        try:
            while queue:
                job = queue.pop()
                while len(connections) < len(job):
                    connections.append(Connection(host, port))
                results = await asyncio.gather(
                    *(conn.send(req) for conn, req in zip(connections, job, strict=False)),
                    return_exceptions=True,
                )
                for req, result in zip(job, results, strict=True):
                    if isinstance(result, BaseException):
                        errors.append(f"{req.method} {req.path}: {result!r}")
                        answers.append(Answer(req, 0, {}, b"", 0.0))
                        await asyncio.gather(*(c.close() for c in connections))
                    else:
                        answers.append(result)
        finally:
            await asyncio.gather(*(c.close() for c in connections))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, answers, errors


def burst(host: str, port: int, jobs: list[list[Request]], concurrency: int):
    """Run the jobs from `concurrency` workers; (seconds, answers, transport errors)."""
    return asyncio.run(_burst(host, port, jobs, concurrency))


def one(host: str, port: int, request: Request) -> Answer:
    """One request on a fresh connection (the kernel hands each new connection to either worker)."""

    async def run():
        conn = Connection(host, port)
        try:
            return await conn.send(request)
        finally:
            await conn.close()

    return asyncio.run(run())


@dataclass
class Figures:
    label: str
    requests: int
    seconds: float
    p50: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def figures(label: str, seconds: float, answers: list[Answer]) -> Figures:
    ordered = sorted(a.ms for a in answers) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figures(label, len(answers), seconds, statistics.median(ordered), p99)
