"""One HTTP(S) GET with the safety a crawler needs: checked addresses, hard time and size caps.

The host is resolved first and every address checked against the ``AddressPolicy``; the
connection then goes to a checked address (never re-resolved), with the original host in
``Host``/SNI. Timeouts: ``connect`` per attempt, ``read`` per socket read, and ``total``
for the whole exchange, enforced by a watchdog that shuts the socket down, so a server
dripping one byte per second cannot hold a worker (one watchdog thread per process serves
every request: a thread per request cost more CPU than a fast request itself). Bodies are
capped at ``max_bytes`` (declared ``Content-Length`` is refused up front; gzip is inflated
under the same cap). Redirects are not followed here: the 3xx ``location`` is returned so
the caller can apply its allowlist, robots.txt and address checks to the next hop.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from crawlers.http_headers import first_header, header_values
from crawlers.net_safety import AddressPolicy, AddressRefused, Resolver, checked_addresses, system_resolver
from crawlers.url_resolve import UnusableUrl, http_target, join_url
from wit_pipeline.config import SourcesConfig

_CHUNK = 64 * 1024
_SAFE_TARGET = "/%:@!$&'()*+,;=-._~?"


@dataclass(frozen=True)
class FetchLimits:
    """Timeouts in seconds and the body size cap in bytes."""

    connect_timeout: float = SourcesConfig.connect_timeout
    read_timeout: float = SourcesConfig.read_timeout
    total_timeout: float = SourcesConfig.total_timeout
    max_bytes: int = SourcesConfig.max_bytes


@dataclass
class FetchResult:
    """Outcome of one request: ``error`` is a reason code, or None when a response came back."""

    url: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    error: str | None = None
    location: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of response header ``name`` (case-insensitive)."""
        return first_header(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        """Every value of response header ``name`` (case-insensitive)."""
        return header_values(self.headers, name)


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Fetcher:
    """Makes safe GET requests for one crawl (one policy, one user agent, one set of limits)."""

    def __init__(
        self,
        policy: AddressPolicy,
        limits: FetchLimits,
        user_agent: str,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self.limits = limits
        self.user_agent = user_agent
        self.resolver = resolver
        self._tls = ssl.create_default_context()

    def fetch(
        self,
        url: str,
        accept: Callable[[str | None], bool] | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
        screen: Callable[[FetchResult], str | None] | None = None,
    ) -> FetchResult:
        """GET ``url``; read the body only if ``accept(content_type)`` (default: always).

        ``screen`` sees a 2xx response's status and headers before any of its body is read and
        may refuse it by returning a reason (an ``X-Robots-Tag`` opt-out: then the body never
        crosses the network beyond what the kernel buffered).

        ``max_bytes`` lowers the body cap of this request; with ``truncate`` a longer body is
        cut at the cap instead of refused (robots.txt: only its first 512 KiB count).

        Never raises for network trouble: every failure is a ``FetchResult.error`` reason
        (``address_loopback``, ``connect_timeout``, ``read_timeout``, ``total_timeout``,
        ``too_large``, ``unwanted_content_type``, ``connection_refused``, ``bad_response``,
        ``malformed_redirect`` for a 3xx whose ``Location`` is no URL...).
        """
        deadline = time.monotonic() + self.limits.total_timeout
        try:
            scheme, host, port = http_target(url)
        except UnusableUrl as exc:
            return FetchResult(url, error=exc.reason)
        parts = urlsplit(url)
        try:
            addresses = checked_addresses(host, port, self.policy, self.resolver)
            sock = self._connect(addresses, port, deadline)
        except AddressRefused as exc:
            return FetchResult(url, error=exc.reason)
        except _Failed as exc:
            return FetchResult(url, error=exc.reason)
        holder = [sock]
        alarm = _WATCHDOG.arm(deadline, holder)
        try:
            cap = Cap(min(max_bytes or self.limits.max_bytes, self.limits.max_bytes), truncate)
            result = self._exchange(url, parts, host, port, scheme, holder, accept, cap, screen)
            if alarm.fired:  # the watchdog cut the body short: what was read is not the page
                return FetchResult(url, status=result.status, headers=result.headers, error="total_timeout")
            return result
        except Exception as exc:  # noqa: BLE001 - any failure of a hostile server is an outcome
            return FetchResult(url, error="total_timeout" if alarm.fired else _reason(exc))
        finally:
            _WATCHDOG.disarm(alarm)
            holder[0].close()

    def _connect(self, addresses: list[str], port: int, deadline: float) -> socket.socket:
        reason = "connection_error"
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Failed("total_timeout")
            try:
                sock = socket.create_connection((address, port), timeout=min(self.limits.connect_timeout, remaining))
            except TimeoutError:
                reason = "connect_timeout"
                continue
            except ConnectionRefusedError:
                reason = "connection_refused"
                continue
            except OSError:
                continue
            sock.settimeout(self.limits.read_timeout)
            return sock
        raise _Failed(reason)

    def _exchange(self, url, parts, host, port, scheme, holder, accept, cap: Cap, screen) -> FetchResult:
        if scheme == "https":
            holder[0] = self._tls.wrap_socket(holder[0], server_hostname=host)
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port)
        else:
            conn = http.client.HTTPConnection(host, port)
        conn.sock = holder[0]
        target = quote(parts.path or "/", safe=_SAFE_TARGET) + (
            "?" + quote(parts.query, safe=_SAFE_TARGET) if parts.query else ""
        )
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in (
            ("User-Agent", self.user_agent),
            ("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"),
            ("Accept-Encoding", "gzip"),
            ("Connection", "close"),
        ):
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        result = FetchResult(url, status=resp.status, headers=resp.getheaders())
        location = resp.getheader("Location")
        if 300 <= resp.status < 400 and location:
            try:  # resolved as page links are (RFC 3986): ``images//x.png`` keeps its empty segment
                result.location = join_url(url, location.strip())
            except ValueError:
                result.error = "malformed_redirect"
            return result
        if resp.status >= 300:
            return result
        if accept is not None and not accept(resp.getheader("Content-Type")):
            result.error = "unwanted_content_type"
            return result
        refusal = screen(result) if screen is not None else None
        if refusal is not None:
            result.error = refusal
            return result
        declared = resp.getheader("Content-Length")
        if not cap.truncate and declared and declared.strip().isdigit() and int(declared) > cap.max_bytes:
            result.error = "too_large"
            return result
        result.body, result.error = _read_body(resp, cap.max_bytes, cap.truncate)
        return result


@dataclass(frozen=True)
class Cap:
    """The body cap of one request, and whether a longer body is cut (True) or refused."""

    max_bytes: int
    truncate: bool = False


def _read_body(
    resp: http.client.HTTPResponse, max_bytes: int, truncate: bool = False
) -> tuple[bytes | None, str | None]:
    """The body, inflated if gzip/deflate; past ``max_bytes`` ``(None, 'too_large')``, or its head if ``truncate``."""
    encoding = (resp.getheader("Content-Encoding") or "").strip().lower()
    inflater = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None
    parts: list[bytes] = []
    size = 0
    while True:
        data = resp.read1(_CHUNK)
        if not data:
            break
        while data:
            if inflater is not None:
                out = inflater.decompress(data, max_bytes + 1 - size)
                data = inflater.unconsumed_tail
            else:
                out, data = data, b""
            size += len(out)
            if size > max_bytes:
                if truncate:
                    parts.append(out[: len(out) - (size - max_bytes)])
                    return b"".join(parts), None
                return None, "too_large"
            parts.append(out)
    if resp.length:  # the connection ended before the declared Content-Length
        return None, "truncated_response"
    return b"".join(parts), None


class _Alarm:
    """One request's place in the watchdog: the socket to shut down, and whether it was."""

    __slots__ = ("holder", "fired")

    def __init__(self, holder: list[socket.socket]) -> None:
        self.holder: list[socket.socket] | None = holder
        self.fired = False


class _Watchdog:
    """Ends requests past their total deadline by shutting their sockets down.

    One daemon thread per process sleeps until the earliest armed deadline. Arming and
    disarming cost a heap push and a flag under a lock; a disarmed alarm drops its socket at
    once and leaves the heap when its deadline comes round.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, holder: list[socket.socket]) -> _Alarm:
        """Shut ``holder[0]`` down at ``deadline`` (a ``time.monotonic`` value) unless disarmed first."""
        alarm = _Alarm(holder)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-fetch-watchdog", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (deadline, next(self._order), alarm))
            if self._heap[0][2] is alarm:
                self._cond.notify()
        return alarm

    def disarm(self, alarm: _Alarm) -> None:
        """The request is over: never touch its socket again (it is about to be closed)."""
        with self._cond:
            alarm.holder = None

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].holder is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                alarm = heapq.heappop(self._heap)[2]
                _shutdown(alarm)


def _shutdown(alarm: _Alarm) -> None:
    """End a blocked read by shutting the socket down (works for TLS sockets too)."""
    if alarm.holder is None:
        return
    alarm.fired = True
    try:
        socket.socket.shutdown(alarm.holder[0], socket.SHUT_RDWR)
    except OSError:
        pass
    alarm.holder = None


_WATCHDOG = _Watchdog()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "read_timeout"
    if isinstance(exc, http.client.IncompleteRead):
        return "truncated_response"
    if isinstance(exc, http.client.HTTPException):
        return "bad_response"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls_error"
    if isinstance(exc, zlib.error):
        return "bad_content_encoding"
    if isinstance(exc, ConnectionResetError):
        return "connection_reset"
    return "connection_error"
