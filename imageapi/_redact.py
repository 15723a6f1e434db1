"""Keeping secrets out of reprs, log lines and exception messages.

Credentials reach the client from kubeconfigs, token files and exec plugins. Anything the SDK prints
about a request or a configuration goes through these helpers first, so a token pasted into a bug
report by a user is never one the SDK wrote there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"
"""What replaces a secret wherever one would have been shown."""

# Query parameter names whose values are credentials (OAuth redirects, signed URLs, proxies).
_SECRET_PARAM = re.compile(r"token|password|passwd|secret|signature|sig|auth|credential|key|code", re.I)

# Each pattern with its replacement, which keeps the "key: " or "Bearer " part so that a message
# still says what was removed.
_TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Bearer <x>" / "Basic <x>" as written in an Authorization header.
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), rf"\1 {REDACTED}"),
    # key=value / key: value / "key": "value" where the key names a secret.
    (re.compile(
        r"""(?ix)
        (["']?(?:access[_-]?token|id[_-]?token|refresh[_-]?token|token|password|passwd|secret|
             client[_-]?key[_-]?data|clientKeyData|api[_-]?key)["']?\s*[:=]\s*)
        (["']?)[^\s"',;}]+\2
        """
    ), rf"\1{REDACTED}"),
    # JSON web tokens (service account tokens, OIDC id tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # OpenShift OAuth access tokens.
    (re.compile(r"\bsha256~[A-Za-z0-9_-]+"), REDACTED),
    # PEM private keys.
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S), REDACTED),
)

# Long opaque runs holding both letters and digits (hex or base64 secrets). Only for text that
# should hold no identifiers, such as a plugin's stderr: image digests would match too.
_OPAQUE_RUN = re.compile(r"(?<![\w+=-])(?=[\w+=-]*\d)(?=[\w+=-]*[A-Za-z])[\w+=-]{32,}")


def redact_text(text: str, secrets: Iterable[str] = (), *, opaque_runs: bool = False) -> str:
    """``text`` with the given ``secrets`` and anything that looks like a credential replaced.

    Used on text the SDK does not control (exec plugin stderr, response bodies) before it goes into
    an exception message or a log line. ``opaque_runs`` also removes any long run of letters and
    digits: right for a plugin's stderr, wrong for API messages that name image digests.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    if opaque_runs:
        text = _OPAQUE_RUN.sub(REDACTED, text)
    return text


def redact_url(url: object) -> str:
    """The URL as a string, with a userinfo password and secret-looking query values replaced."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return redact_text(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(name) for name, _ in pairs):
            query = urlencode(
                [(name, REDACTED if _SECRET_PARAM.search(name) else value) for name, value in pairs],
                safe="<>",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


#: Query parameters that carry a bearer token in a server URL (OAuth's ``access_token``).
_TOKEN_PARAMS = frozenset({"access_token"})


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None, str | None]:
    """``url`` without the credentials written into it, and those credentials.

    Returns ``(clean_url, (username, password) or None, token or None)``: userinfo
    (``https://user:secret@host``) becomes basic-auth credentials and an ``access_token`` query
    parameter a bearer token, so that neither reaches httpx's URL (its log lines and reprs show the
    URL whole). A URL without credentials comes back unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None, None
    basic: tuple[str, str] | None = None
    token: str | None = None
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        username, _, password = userinfo.partition(":")
        basic = (unquote(username), unquote(password))
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        tokens = [value for name, value in pairs if name in _TOKEN_PARAMS]
        if tokens:
            token = tokens[-1]
            query = urlencode([(name, value) for name, value in pairs if name not in _TOKEN_PARAMS])
    if basic is None and token is None:
        return url, None, None
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), basic, token


def mask(value: str | bytes | None) -> str | None:
    """``REDACTED`` for a set value, None for an unset one: what a repr shows for a secret field."""
    return None if value is None else REDACTED
