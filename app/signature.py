"""Webhook authenticity: Jira's HMAC signature over the raw body, or a URL token for DC sites."""
from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, raw_body: bytes) -> str:
    """The `X-Hub-Signature` header value Jira sends for this body."""
    return PREFIX + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def is_authentic(secret: str, raw_body: bytes, signature_header: str | None,
                 url_token: str | None) -> bool:
    """True when the header signs the body with `secret`, or the URL token equals it.

    Both comparisons are constant-time. The URL token exists for Data Center sites whose webhooks
    cannot sign; the same secret serves both, so there is one thing to rotate.
    """
    if signature_header:
        return hmac.compare_digest(sign(secret, raw_body).encode(), signature_header.strip().encode())
    if url_token:
        return hmac.compare_digest(secret.encode(), url_token.encode())
    return False
