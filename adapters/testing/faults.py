"""Backends for the conformance cases: recorded responses, and the failures any HTTP backend shows.

:data:`HTTP_FAULTS` answer every request the adapter makes with a failure (5xx, an HTML login
page, JSON of another shape, a body that cannot be decoded, 401, 403, 429) or fail it in the
transport (a timeout, a refused connection). :func:`loopback_faults` add two real ones on
127.0.0.1: a port nobody listens on, and a server that accepts the connection and never answers,
which the adapter must give up on within its own deadline. :func:`recorded` serves a file of
recorded responses through respx.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from adapters.errors import (
    AuthError,
    BackendTimeoutError,
    BadResponseError,
    RateLimitedError,
    UnavailableError,
)
from adapters.testing.harness import Env, Fault


def answer(respond: Callable[[], httpx.Response]) -> Callable[[Env], None]:
    """A backend that answers every request with a fresh ``respond()`` (a response body is read once)."""

    def install(env: Env) -> None:
        env.router.route().mock(side_effect=lambda request: respond())

    return install


def failing(error: Exception) -> Callable[[Env], None]:
    """A backend whose every request fails with ``error`` (a transport failure)."""

    def install(env: Env) -> None:
        env.router.route().mock(side_effect=error)

    return install


def json_route(url: str, body: Any, method: str = "GET", status: int = 200) -> Callable[[Env], None]:
    """A backend that answers ``method url`` (any query) with ``body`` as JSON."""

    def install(env: Env) -> None:
        env.router.route(method=method, url=url).respond(status, json=body)

    return install


def every(*installs: Callable[[Env], None]) -> Callable[[Env], None]:
    """All of ``installs``, in order."""

    def install(env: Env) -> None:
        for one in installs:
            one(env)

    return install


def _not_gzip() -> httpx.Response:
    # A proxy that labels a plain body gzip: httpx fails while decoding the body it read.
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    return httpx.Response(200, stream=httpx.ByteStream(b'{"not": "gzip"}'), headers=headers)


HTTP_FAULTS = (
    Fault("500", answer(lambda: httpx.Response(500, html="<h1>Internal Server Error</h1>")), UnavailableError),
    Fault("503", answer(lambda: httpx.Response(503, text="upstream connect error")), UnavailableError),
    Fault("html-login-page", answer(lambda: httpx.Response(200, html="<title>Sign in</title>")), BadResponseError),
    Fault("json-of-another-shape", answer(lambda: httpx.Response(200, json={"unexpected": [1]})), BadResponseError),
    Fault("body-not-decodable", answer(_not_gzip), BadResponseError),
    Fault("timeout", failing(httpx.ReadTimeout("timed out")), BackendTimeoutError),
    Fault("refused", failing(httpx.ConnectError("[Errno 111] Connection refused")), UnavailableError),
    Fault("401", answer(lambda: httpx.Response(401, json={"message": "Bad credentials"})), AuthError),
    Fault("403", answer(lambda: httpx.Response(403, json={"message": "Forbidden"})), AuthError),
    Fault(
        "429",
        answer(lambda: httpx.Response(429, headers={"Retry-After": "30"}, json={"message": "slow down"})),
        RateLimitedError,
    ),
)
"""The failures any HTTP backend can show, each answered to every request the adapter makes."""

SLOW_DEADLINE_S = 0.3
"""The deadline the slow-server fault gives the adapter; each call must end within it plus ALLOWANCE_S."""
ALLOWANCE_S = 3.0


def _closed_port(env: Env) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.data["loopback_url"] = f"http://127.0.0.1:{port}"  # closed again: connecting is refused
    env.router.route(host="127.0.0.1").pass_through()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose connections the kernel accepts and nobody ever answers; closed on exit."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield int(silent.getsockname()[1])


def _silent_server(env: Env) -> None:
    env.data["loopback_url"] = f"http://127.0.0.1:{env.stack.enter_context(silent_port())}"
    env.router.route(host="127.0.0.1").pass_through()


def loopback_faults(url_setting: str, deadline_setting: str = "") -> tuple[Fault, ...]:
    """Real failures on 127.0.0.1, for an adapter whose base URL is the top-level setting ``url_setting``.

    ``refused-port``: nothing listens, the connection is refused (UnavailableError).
    ``never-answers`` (with ``deadline_setting``, the setting that holds the adapter's deadline in
    seconds): the server accepts and stays silent; each call must raise BackendTimeoutError within
    that deadline plus a few seconds, never hang.
    """
    faults = [
        Fault(
            "refused-port",
            _closed_port,
            UnavailableError,
            settings=lambda env: {url_setting: env.data["loopback_url"]},
        )
    ]
    if deadline_setting:
        faults.append(
            Fault(
                "never-answers",
                _silent_server,
                BackendTimeoutError,
                settings=lambda env: {url_setting: env.data["loopback_url"], deadline_setting: SLOW_DEADLINE_S},
                within_s=SLOW_DEADLINE_S + ALLOWANCE_S,
            )
        )
    return tuple(faults)


def recorded(path: Path | str) -> Callable[[Env], None]:
    """A backend that serves the recorded responses listed in the JSON file ``path``.

    The file is ``{"routes": [...]}``; each route has ``method`` and ``url`` (without a query),
    optionally ``params`` and ``headers`` that the request must contain, and the answer: ``status``
    (200 by default) and ``file`` (a JSON body stored beside the list) or ``json`` (the body inline).
    Routes are tried in order, so put the most specific first.
    """
    listing = Path(path)
    routes = json.loads(listing.read_text(encoding="utf-8"))["routes"]

    def install(env: Env) -> None:
        for route in routes:
            body = route["json"] if "json" in route else json.loads((listing.parent / route["file"]).read_text())
            env.router.route(
                method=route["method"],
                url=route["url"],
                params__contains=route.get("params", {}),
                headers__contains=route.get("headers", {}),
            ).respond(route.get("status", 200), json=body)

    return install
