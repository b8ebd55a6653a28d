"""adapters.http: the one failure mapping every HTTP adapter shares, and the credential helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
from pydantic import SecretStr

from adapters.errors import BadResponseError, QueryError, UnavailableError
from adapters.http import build_credentials, request_json, retry_after_seconds

pytestmark = pytest.mark.anyio

URL = "http://backend.test/api"


async def call(http: httpx.AsyncClient, **kwargs: object) -> object:
    return await request_json(http, "GET", URL, adapter="b", request_summary="GET /api x=1", timeout=2, **kwargs)


async def test_returns_decoded_json(respx_mock: respx.MockRouter, http) -> None:
    respx_mock.get(URL).respond(json={"ok": [1, 2]})
    assert await call(http) == {"ok": [1, 2]}


async def test_redirect_to_login_is_a_bad_response(respx_mock: respx.MockRouter, http) -> None:
    respx_mock.get(URL).respond(302, headers={"Location": "https://sso.test/login"})
    with pytest.raises(BadResponseError, match="redirected") as info:
        await call(http)
    assert "login proxy" in info.value.hint


async def test_empty_body_is_a_bad_response(respx_mock: respx.MockRouter, http) -> None:
    respx_mock.get(URL).respond(200, content=b"")
    with pytest.raises(BadResponseError, match="instead of JSON"):
        await call(http)


async def test_body_that_cannot_be_decoded_is_a_bad_response(respx_mock: respx.MockRouter, http) -> None:
    # A proxy labelling a plain body gzip: httpx fails while reading it, after the status arrived.
    plain = httpx.ByteStream(b'{"ok": true}')
    respx_mock.get(URL).mock(
        side_effect=lambda r: httpx.Response(200, stream=plain, headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(BadResponseError, match="could not be decoded") as info:
        await call(http)
    assert "DecodingError" in info.value.upstream and "GET /api x=1" in str(info.value)


async def test_404_is_a_query_error_with_upstream(respx_mock: respx.MockRouter, http) -> None:
    respx_mock.get(URL).respond(404, text="404 page not found")
    with pytest.raises(QueryError) as info:
        await call(http)
    assert info.value.upstream == "HTTP 404 Not Found: 404 page not found"
    assert "GET /api x=1" in str(info.value)


async def test_dns_failure_is_unavailable(respx_mock: respx.MockRouter, http) -> None:
    respx_mock.get(URL).mock(side_effect=httpx.ConnectError("[Errno -2] Name or service not known"))
    with pytest.raises(UnavailableError, match="DNS lookup failed"):
        await call(http)


async def test_secret_header_echoed_in_error_is_masked(respx_mock: respx.MockRouter, http) -> None:
    creds = build_credentials(headers={"X-Api-Key": SecretStr("key-abcdef")})
    respx_mock.get(URL).respond(400, json={"message": "key key-abcdef is not valid here"})
    with pytest.raises(QueryError) as info:
        await call(http, credentials=creds)
    assert "key-abcdef" not in str(info.value) and "key *** is not valid" in str(info.value)


def test_credentials_repr_hides_values() -> None:
    creds = build_credentials(
        headers={"X-Api-Key": SecretStr("key-abcdef")},
        bearer_token=SecretStr("tok-123456"),
        tenant_id="t1",
    )
    text = repr(creds)
    assert "key-abcdef" not in text and "tok-123456" not in text
    assert "X-Api-Key" in text and "X-Scope-OrgID" in text
    assert creds.headers["Authorization"] == "Bearer tok-123456"


@pytest.mark.parametrize(("value", "expected"), [("7", 7.0), ("0", 0.0), ("soon", None), (None, None), ("-3", 0.0)])
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    seconds = retry_after_seconds(format_datetime(when, usegmt=True))
    assert seconds is not None and 100 < seconds <= 120
