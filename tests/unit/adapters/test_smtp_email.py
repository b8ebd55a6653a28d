"""SmtpEmailAdapter against a REAL local SMTP server (aiosmtpd's Controller on 127.0.0.1, a free port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapters.errors import AuthError, BackendTimeoutError, ConfigError, QueryError, UnavailableError
from adapters.models import EmailMessage
from adapters.smtp_email import SmtpConfig, SmtpEmailAdapter
from adapters.testing import silent_port

pytestmark = pytest.mark.anyio

USER = "firstfifteen"
PASSWORD = "s3cret-smtp-password"
REFUSED = "nobody@example.com"


@dataclass
class Received:
    """One message the server accepted: its envelope and its parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    message: MimeMessage


@dataclass
class Capture:
    """An aiosmtpd handler that keeps every message and refuses one mailbox."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address == REFUSED:
            return "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accept USER with PASSWORD; anything else gets aiosmtpd's 535 (handled=False makes it send that)."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Capture, int]]:
    """A real SMTP server on 127.0.0.1 that accepts AUTH PLAIN/LOGIN for USER (TLS not required: local only)."""
    capture = Capture()
    port = free_port()
    controller = Controller(
        capture, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield capture, port
    finally:
        controller.stop()


def make(http, context, port: int, **settings: object) -> SmtpEmailAdapter:
    config = SmtpConfig.model_validate({"host": "127.0.0.1", "port": port, "timeout_s": 5, **settings})
    return SmtpEmailAdapter("smtp", config, http, context)


def email(**fields: object) -> EmailMessage:
    base = {
        "to": ["cto@example.com", "vp-eng@example.com"],
        "subject": "[SEV2] Checkout errors: update 2",
        "body": "Impact: 4% of checkouts fail.\nNext update: 04:00 UTC.\nCafé ✓",
        "sender": "incidents@example.com",
    }
    return EmailMessage.model_validate({**base, **fields})


async def test_send_delivers_headers_and_body(http, context, smtp_server):
    capture, port = smtp_server
    result = await make(http, context, port).send(email())

    (got,) = capture.received
    assert got.mail_from == "incidents@example.com"
    assert got.rcpt_tos == ["cto@example.com", "vp-eng@example.com"]
    mime = got.message
    assert mime["From"] == "incidents@example.com"
    assert mime["To"] == "cto@example.com, vp-eng@example.com"
    assert mime["Subject"] == "[SEV2] Checkout errors: update 2"
    assert parsedate_to_datetime(mime["Date"]).utcoffset() is not None
    assert mime["Message-ID"] == result.remote_id and result.remote_id.endswith("@example.com>")
    assert mime.get_content_type() == "text/plain"
    # The wire carries CRLF line ends; the text is the body as given.
    body = mime.get_content().replace("\r\n", "\n")
    assert body == "Impact: 4% of checkouts fail.\nNext update: 04:00 UTC.\nCafé ✓\n"
    assert result.target == "email:cto@example.com,vp-eng@example.com"


async def test_the_default_sender(http, context, smtp_server):
    capture, port = smtp_server
    await make(http, context, port, sender="firstfifteen@acme.test").send(email(sender=""))
    assert capture.received[0].message["From"] == "firstfifteen@acme.test"


async def test_no_sender_at_all(http, context, smtp_server):
    _, port = smtp_server
    with pytest.raises(ConfigError, match="no sender"):
        await make(http, context, port).send(email(sender=""))


async def test_login(http, context, smtp_server):
    capture, port = smtp_server
    adapter = make(http, context, port, username=USER, password=PASSWORD)
    await adapter.send(email())
    assert len(capture.received) == 1
    assert await adapter.check() == f"SMTP server 127.0.0.1:{port} answers (NOOP 250) as {USER}"


async def test_a_wrong_password_is_an_auth_error(http, context, smtp_server):
    capture, port = smtp_server
    with pytest.raises(AuthError) as info:
        await make(http, context, port, username=USER, password="wrong-password").send(email())
    assert "wrong-password" not in str(info.value) and "535" in str(info.value)
    assert capture.received == []


async def test_every_recipient_refused(http, context, smtp_server):
    capture, port = smtp_server
    with pytest.raises(QueryError) as info:
        await make(http, context, port).send(email(to=[REFUSED]))
    assert REFUSED in info.value.message and "550" in info.value.upstream
    assert capture.received == []


async def test_one_recipient_refused_is_a_post_with_a_note(http, context, smtp_server):
    # The message went to the others: an error would invite a retry that sends it to them twice.
    capture, port = smtp_server
    result = await make(http, context, port).send(email(to=["cto@example.com", REFUSED]))
    assert result.note.startswith("sent to cto@example.com; refused: ") and REFUSED in result.note
    assert [r.rcpt_tos for r in capture.received] == [["cto@example.com"]]


async def test_header_injection_is_refused_before_connecting(http, context):
    adapter = make(http, context, free_port())
    with pytest.raises(QueryError, match="one line"):
        await adapter.send(email(subject="Update\r\nBcc: everyone@example.com"))


async def test_starttls_on_a_server_without_it(http, context, smtp_server):
    _, port = smtp_server
    with pytest.raises(ConfigError, match="STARTTLS|starttls"):
        await make(http, context, port, starttls=True).send(email())


async def test_server_down(http, context):
    port = free_port()  # nothing listens there
    with pytest.raises(UnavailableError) as info:
        await make(http, context, port).send(email())
    assert "refused" in str(info.value).lower() and f"127.0.0.1:{port}" in str(info.value)


async def test_server_that_never_greets_is_a_timeout(http, context):
    with silent_port() as port, pytest.raises(BackendTimeoutError, match="0.3s"):
        await make(http, context, port, timeout_s=0.3).send(email())


async def test_check_without_login(http, context, smtp_server):
    _, port = smtp_server
    assert await make(http, context, port).check() == f"SMTP server 127.0.0.1:{port} answers (NOOP 250)"


def test_settings():
    with pytest.raises(ValueError, match="not both"):
        SmtpConfig(host="h", starttls=True, ssl=True)
    with pytest.raises(ValueError, match="go together") as info:
        SmtpConfig.model_validate({"host": "h", "password": PASSWORD})
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(SmtpConfig(host="h", username=USER, password=PASSWORD))
