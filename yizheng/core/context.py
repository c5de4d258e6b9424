"""Per-request context that services may read without passing the request around (client address)."""

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
