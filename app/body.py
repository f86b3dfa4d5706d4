"""The raw request body, at most `limit` bytes, however the client sent it.

Werkzeug answers 413 for a declared Content-Length over MAX_CONTENT_LENGTH, but a chunked body
(no Content-Length) is only read up to the limit and then cut short without a word: the
signature check then fails on the cut body and Jira sees a 401 for a body that is too large.
Reading one byte past the limit from the server's stream tells the two apart.
"""
from __future__ import annotations

from flask import abort, request

_CHUNK = 64 * 1024


def read_body(limit: int) -> bytes:
    """The whole body; 413 (RequestEntityTooLarge) when it is longer than `limit` bytes."""
    if request.content_length is not None or "wsgi.input_terminated" not in request.environ:
        # A declared length werkzeug checks against the limit; with neither a length nor a
        # server that ends the stream there is no body to read safely (werkzeug reads none).
        return request.get_data(cache=False)
    stream = request.environ["wsgi.input"]  # the server ends it where the chunks end
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(_CHUNK, limit + 1 - size))
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    abort(413)
