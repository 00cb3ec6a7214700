"""A certificate authority made at run time, so the loopback fakes can speak HTTPS as the real APIs do.

The bot is told to trust it the way an operator would tell it to trust a private CA: the standard
`SSL_CERT_FILE` environment variable, naming `bundle` (OpenSSL reads it whenever a default context
is built, e.g. by `ssl.create_default_context()` and by urllib for slack_sdk).
"""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

import trustme

__all__ = ["ThrowawayCA"]


class ThrowawayCA:
    """Signs certificates for the fakes; `bundle` is its certificate in PEM, for SSL_CERT_FILE."""

    def __init__(self) -> None:
        self._ca = trustme.CA()
        self._directory = tempfile.TemporaryDirectory(prefix="throwaway-ca-")
        self.bundle = Path(self._directory.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.bundle))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._directory.cleanup()

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server's context with a certificate for `names` (default 127.0.0.1, where the fakes listen)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*(names or ("127.0.0.1",))).configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client's context trusting this CA alone (the benchmark's own client, never the bot's)."""
        return ssl.create_default_context(cafile=str(self.bundle))
