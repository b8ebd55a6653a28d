"""Outgoing email through an SMTP server (capability "email"), for the executive update.

Builds a plain-text :class:`email.message.EmailMessage` (From, To, Subject, Date, Message-ID) and
sends it with the standard library's :mod:`smtplib` in a worker thread, so a slow server never
blocks the event loop. Plain SMTP, STARTTLS (``starttls: true``, usually port 587) or implicit TLS
(``ssl: true``, usually port 465); login only when ``username`` is set.

Failures map onto :mod:`adapters.errors`: refused connection or a dropped session is
``UnavailableError``, no answer in ``timeout_s`` is ``BackendTimeoutError``, a refused login is
``AuthError``, and refused recipients or sender are a ``QueryError`` naming the addresses. When
only some recipients are refused the others have already been sent the message: that is a post
with a ``note`` naming the refused ones, not an error, so a retry cannot send it twice. The note says
so, so that nobody resends it to them.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid
from typing import ClassVar, TypeVar

import anyio
import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from adapters.base import AdapterContext
from adapters.errors import AdapterError, AuthError, BackendTimeoutError, ConfigError, QueryError, UnavailableError
from adapters.models import EmailMessage, PostResult, utcnow

T = TypeVar("T")


class SmtpConfig(BaseModel):
    """Settings of an SMTP server."""

    # hide_input_in_errors: a validation error must not print the password.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    host: str = Field(min_length=1, description="SMTP server host name or address")
    port: int = Field(default=25, ge=1, le=65535, description="25 plain, 587 with starttls, 465 with ssl")
    username: str | None = Field(default=None, description="Login user; no login when unset")
    password: SecretStr | None = Field(default=None, description="Login password; use ${SMTP_PASSWORD}")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS before login")
    ssl: bool = Field(default=False, description="Implicit TLS from the first byte (SMTPS)")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per-operation socket timeout in seconds")
    sender: str = Field(default="", description="From address when a message names none")

    @model_validator(mode="after")
    def _consistent(self) -> SmtpConfig:
        if self.starttls and self.ssl:
            raise ValueError("set starttls (upgrade, port 587) or ssl (implicit TLS, port 465), not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


def build_message(message: EmailMessage, sender: str) -> MimeMessage:
    """The MIME message to send: From, To, Subject, Date, Message-ID and a UTF-8 plain-text body.

    Raises:
        ValueError: an address or the subject holds a line break (header injection), or no recipient.
    """
    if not message.to:
        raise ValueError("the message has no recipient")
    for value in (sender, message.subject, *message.to):
        if "\r" in value or "\n" in value:
            raise ValueError("addresses and the subject must be one line")
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(utcnow())
    domain = sender.rpartition("@")[2].strip("<> ") or None
    mime["Message-ID"] = make_msgid(domain=domain)
    mime.set_content(message.body)
    return mime


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_decode(reply)})" for address, (code, reply) in sorted(refused.items()))


class SmtpEmailAdapter:
    """Sends plain-text email through one SMTP server."""

    config_model: ClassVar[type[SmtpConfig]] = SmtpConfig
    capabilities: ClassVar[frozenset[str]] = frozenset({"email"})

    def __init__(self, name: str, config: SmtpConfig, http: httpx.AsyncClient, context: AdapterContext) -> None:
        """Keep the settings; nothing is sent until asked."""
        self.name = name
        self.config = config
        self._http = http
        self._context = context

    def __repr__(self) -> str:
        mode = "ssl" if self.config.ssl else "starttls" if self.config.starttls else "plain"
        return f"SmtpEmailAdapter(name={self.name!r}, host={self.config.host!r}, port={self.config.port}, {mode})"

    @property
    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    async def check(self) -> str:
        """Connect, (STARTTLS, login,) NOOP: the server answers and accepts the login."""
        summary = f"NOOP {self._where}"
        code = await self._in_thread(self._noop, summary)
        login = f" as {self.config.username}" if self.config.username else ""
        return f"SMTP server {self._where} answers (NOOP {code}){login}"

    async def send(self, message: EmailMessage) -> PostResult:
        """Send one message; returns its Message-ID as ``remote_id``."""
        sender = message.sender or self.config.sender
        if not sender:
            raise ConfigError(
                "no sender: the message names none and the adapter has no default",
                adapter=self.name,
                hint=f"Set sender under adapters.{self.name} (or comms.exec_email.sender).",
            )
        try:
            mime = build_message(message, sender)
        except ValueError as exc:
            raise QueryError(f"cannot build the email: {exc}", adapter=self.name, request="build message") from exc
        summary = f"SEND {self._where} to {', '.join(message.to)} ({len(message.body)} chars)"
        note = await self._in_thread(lambda: self._deliver(mime, message.to), summary)
        return PostResult(
            target=f"email:{','.join(message.to)}", remote_id=str(mime["Message-ID"]), posted_at=utcnow(), note=note
        )

    # --- In the worker thread ------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        """An open, (TLS-upgraded,) logged-in session."""
        config = self.config
        context = ssl.create_default_context()
        if config.ssl:
            session: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_s, context=context
            )
        else:
            session = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        try:
            if config.starttls:
                session.starttls(context=context)
            if config.username is not None and config.password is not None:
                session.login(config.username, config.password.get_secret_value())
        except BaseException:
            session.close()
            raise
        return session

    def _deliver(self, mime: MimeMessage, recipients: list[str]) -> str:
        """Send; returns a note naming refused recipients when the others got it.

        Not an error: the message went out, and raising would let a retry send it again to
        everyone who already has it.
        """
        with self._connect() as session:
            refused = session.send_message(mime, to_addrs=recipients)
        if not refused:
            return ""
        accepted = [a for a in recipients if a not in refused]
        return f"sent to {', '.join(accepted)}; refused: {_refusals(refused)}"

    def _noop(self) -> int:
        with self._connect() as session:
            code, _ = session.noop()
        return code

    # --- Failures ------------------------------------------------------------------------------

    async def _in_thread(self, work: Callable[[], T], summary: str) -> T:
        """Run blocking smtplib ``work`` in a worker thread; its failures become AdapterErrors."""
        try:
            return await anyio.to_thread.run_sync(work)
        except AdapterError:
            raise
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib turns a socket timeout while waiting for a reply into "Connection unexpectedly closed".
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, TimeoutError):
                raise self._connection_failure(cause, summary) from exc
            raise self._smtp_failure(exc, summary) from exc
        except smtplib.SMTPException as exc:
            raise self._smtp_failure(exc, summary) from exc
        except OSError as exc:
            raise self._connection_failure(exc, summary) from exc

    def _smtp_failure(self, exc: smtplib.SMTPException, summary: str) -> AdapterError:
        """The AdapterError for an SMTP-level refusal; the password is never part of it."""
        where = {"adapter": self.name, "request": summary}
        said = f"{exc.smtp_code} {_decode(exc.smtp_error)}" if isinstance(exc, smtplib.SMTPResponseException) else ""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            hint = "Check username and the SMTP_PASSWORD variable (an app password where the provider needs one)."
            message = f"the SMTP server refused the login of {self.config.username}"
            return AuthError(message, **where, upstream=said, hint=hint)
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            message = f"the SMTP server refused every recipient: {', '.join(sorted(exc.recipients))}"
            upstream = _refusals(exc.recipients)
            return QueryError(message, **where, upstream=upstream, hint="Check the addresses; nothing was sent.")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            hint = "Use a sender address the server lets this account send as (sender in the config)."
            return QueryError(f"the SMTP server refused the sender {exc.sender}", **where, upstream=said, hint=hint)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            hint = "Turn off starttls, or remove username/password if the server offers no AUTH."
            return ConfigError(f"the SMTP server does not support this: {exc}", **where, hint=hint)
        refused_greeting = isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError)
        if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600 and not refused_greeting:
            return QueryError(f"the SMTP server refused the message ({exc.smtp_code})", **where, upstream=said)
        # 4xx answers are temporary; a dropped session or a refused greeting means the server is not usable now.
        reason = said or f"{type(exc).__name__}: {exc}"
        return UnavailableError(f"the SMTP server {self._where} failed: {reason[:120]}", **where, upstream=reason)

    def _connection_failure(self, exc: OSError, summary: str) -> AdapterError:
        """The AdapterError for a socket failure: timeout, refused connection, DNS, TLS."""
        where = {"adapter": self.name, "request": summary}
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
            after = f"{self.config.timeout_s:g}s"
            message = f"no answer from {self._where} within {after}"
            return BackendTimeoutError(message, **where, upstream=f"timed out after {after}")
        if isinstance(exc, ssl.SSLError):
            reason = f"TLS failed: {exc.reason or exc}"
        elif isinstance(exc, socket.gaierror):
            reason = "DNS lookup failed"
        else:
            reason = exc.strerror or f"{type(exc).__name__}: {exc}"
        return UnavailableError(f"cannot reach the SMTP server {self._where}: {reason}", **where, upstream=reason[:300])
