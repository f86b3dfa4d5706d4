"""No secret in any log line: every log record is redacted as it is made.

A record factory rather than a filter on some handlers: gunicorn's error and access logs, Celery's
logs (and the prints it redirects into them), our own loggers and the libraries' all make their
records through it, whichever handler ends up writing them. gunicorn, for one, logs a malformed
request line verbatim ("Invalid request from ip=...: Invalid HTTP request line: 'GET
/webhooks/jira?token=...'"), and a failed request's URI, which a Data Center webhook URL carries
its token in.

Redacted: the configured secrets (worker/settings.py, `log_secrets`), the value of any `token=`
query parameter, the password of a URL (`redis://:password@host`), and the credentials of an
`Authorization` header. Installed by app/gunicorn_conf.py (the web's master, inherited by its
workers) and worker/celery_main.py (worker, beat and Flower import it first).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_CHARS = 6  # shorter values are words, not secrets: masking them would garble every line

_PATTERNS = (
    (re.compile(r"(\w*token=)[^&\s'\"<>]+", re.IGNORECASE), r"\1" + MASK),  # token=, access_token=, ...
    # user:password@ of a URL; no "/" in the password, so host:port/path?user=a@b is left alone
    (re.compile(r"(\w+://[^:/@\s'\"]*:)[^@\s'\"/]+@"), r"\1" + MASK + "@"),
    (re.compile(r"(\bAuthorization['\"]?\s*[:=]\s*['\"]?(?:Bearer|Basic|Token)\s+)[^\s'\"]+", re.IGNORECASE),
     r"\1" + MASK),
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


_installed: Redactor | None = None


def install(secrets: Iterable[str] = ()) -> Redactor:
    """Redact every log record this process makes from now on (again: the secrets are replaced,
    the factory is not stacked)."""
    global _installed
    redactor = Redactor(secrets)
    if _installed is None:
        make = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = make(*args, **kwargs)
            _redact(record, _installed)
            return record

        logging.setLogRecordFactory(factory)
    _installed = redactor
    return redactor


def _redact(record: logging.LogRecord, redact: Redactor) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the handler reports it as ever
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
