"""Structured JSON logs (structlog) with secrets scrubbed before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

_SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|authorization|api[_-]?key|cookie|refresh", re.IGNORECASE
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# Credentials recognised by their shape wherever a message carries them (uvicorn and
# websockets print raw request lines; a client may put a token in any header):
# access tokens (JWTs), refresh tokens, secret-named query parameters, and the share
# token of /api/shared/{token} paths (the route template itself is kept).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_REFRESH = re.compile(r"\brt_[A-Za-z0-9_-]+")
_SECRET_PARAM = re.compile(
    r"([?&;][^=&#\s\"'<>]*(?:token|secret|pass(?:word)?|api[_-]?key|auth|sig(?:nature)?"
    r"|credential|code|session)[^=&#\s\"'<>]*=)[^&#\s\"'<>]*",
    re.IGNORECASE,
)
_SHARE_PATH = re.compile(r"(/shared/)(?!\{)[^/?#\s\"'<>]+")
_REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    """The text with every token-shaped value and secret query parameter replaced."""
    text = _BEARER.sub(r"\1" + _REDACTED, text)
    text = _SECRET_PARAM.sub(r"\1" + _REDACTED, text)
    text = _SHARE_PATH.sub(r"\1" + _REDACTED, text)
    text = _JWT.sub(_REDACTED, text)
    return _REFRESH.sub("rt_" + _REDACTED, text)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("[redacted]" if _SECRET_KEYS.search(str(k)) else _scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Never let a password or token reach a log line, whatever a caller passes."""
    for key in list(event_dict):
        if key == "event":
            event_dict[key] = _scrub(event_dict[key])
        elif _SECRET_KEYS.search(key):
            event_dict[key] = "[redacted]"
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        # filter_by_level first: a line below the level costs nothing more (the access
        # log of every request was timestamped and scrubbed, then dropped).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Every record, ours and other libraries' (uvicorn's included), passes this one
    # formatter; redaction runs again once tracebacks are text, since exception messages
    # can quote a token.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate ours without the request id.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Alembic announces every plugin it loads at INFO; keep only its warnings.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # aiosqlite's debug lines print every SQL statement with its parameters (share
    # tokens, emails, password hashes).
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
