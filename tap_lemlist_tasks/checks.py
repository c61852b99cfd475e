"""What the settings schema cannot say, and the secrets kept out of every log line."""

from __future__ import annotations

import ipaddress
import json
import logging
import re

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

_SHORTEST_HIDDEN = 8


class RefusedError(ValueError):
    """Input the tap refuses before any request, told with its cause and its fix."""

    def __init__(self, what: str, problem: str, fix: str) -> None:
        """Build the line.

        Args:
            what: E.g. `Setting 'api_url'`.
            problem: E.g. `must start with https://`.
            fix: What to do about it.
        """
        self.what, self.problem, self.fix = what, problem, fix
        super().__init__(f"{what} {problem}: {fix}.")


def check_api_key(api_key: str) -> None:
    """Refuse a key that cannot be lemlist's, without showing it.

    Args:
        api_key: The `api_key` setting.

    Raises:
        RefusedError: For surrounding whitespace or characters no key has.
    """
    what = "Setting 'api_key'"
    if api_key != api_key.strip():
        # A newline from a copied file would reach lemlist as part of the key.
        problem, fix = "starts or ends with whitespace", "remove it"
        raise RefusedError(what, problem, fix)
    if not api_key.isascii() or not api_key.isprintable():
        problem, fix = "holds non-ASCII or control characters", "copy it again"
        raise RefusedError(what, problem, fix)


def check_api_url(api_url: str) -> None:
    """Refuse an `api_url` other than `https://host[:port]/path`, read as requests will.

    Plain `http://` is allowed on loopback only (a local stand-in), so the key never
    travels in clear text; userinfo and backslashes are refused because URL parsers
    disagree on the host they name.

    Args:
        api_url: The configured base URL.

    Raises:
        RefusedError: Naming what is wrong with the URL.
    """
    if problem := _api_url_problem(api_url):
        what = "Setting 'api_url'"
        fix = "use https://host[:port]/path (http:// only on localhost)"
        raise RefusedError(what, problem, fix)


def _api_url_problem(api_url: str) -> str | None:  # noqa: PLR0911 - one per rule
    if "\\" in api_url or not api_url.isprintable() or " " in api_url:
        return "holds a backslash, a space or a control character"
    try:
        url = parse_url(api_url)
    except LocationParseError:
        return "is not a URL (is the port 1 to 65535?)"
    if url.auth is not None:
        return "holds a user name or password before the host"
    if url.query is not None or url.fragment is not None:
        return "holds a query or fragment"
    host = url.host or ""
    if not _is_ip(host) and not _is_host_name(host):
        return "names a host that is not a valid host name"
    if url.scheme == "https" or (url.scheme == "http" and _is_loopback(host)):
        return None
    return "must start with https:// so the API key never travels in clear text"


def _is_host_name(host: str) -> bool:
    # What a resolver takes (RFC 1123), after IDNA encoding as the HTTP client does.
    try:
        labels = host.encode("idna").decode().removesuffix(".").split(".")
    except UnicodeError:
        return False
    return all(
        re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", label)
        for label in labels
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    return host == "localhost" or (
        _is_ip(host) and ipaddress.ip_address(host.strip("[]")).is_loopback
    )


class _HideSecrets(logging.Filter):
    """Removes the secret settings' values from every line logged."""

    def __init__(self, secrets: list[object]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact(message, self.secrets)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


def hide_in_logs(secrets: list[object]) -> None:
    """Keep secret values out of every log line, whoever logs it.

    A server can echo what it was sent, and a schema error quotes the value it
    refuses; this filter on the process's log handlers keeps the key out of both.

    Args:
        secrets: The values of the secret settings.
    """
    # A value this short is no real key, and would blot out words instead.
    secrets = [s for s in secrets if len(str(s)) >= _SHORTEST_HIDDEN]
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _HideSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(_HideSecrets(secrets))


def redact(text: str, secrets: list[object]) -> str:
    """Remove every form of the secret values from a message.

    Args:
        text: A message that may quote configuration.
        secrets: The values of the secret settings, of whatever type.

    Returns:
        The message with each secret (as text, repr or JSON) replaced by `***`.
    """
    forms: set[str] = set()
    for secret in secrets:
        parts = secret if isinstance(secret, (list, tuple)) else [secret]
        for value in [secret, *parts]:
            forms |= {str(value), repr(value), json.dumps(value, default=str)}
    for form in sorted(forms - {"", "None", "null", "[]", "()"}, key=len, reverse=True):
        text = text.replace(form, "***")
    return text
