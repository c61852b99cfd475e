"""What the settings schema cannot say, and the secrets kept out of every log line."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import re
import typing as t

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

_SHORTEST_HIDDEN = 8
_secrets: list[object] = []  # the secret settings' values, hidden by every handler


class RefusedError(ValueError):
    """Input the tap refuses before any request, told with its cause and its fix."""

    def __init__(self, what: str, problem: str, fix: str) -> None:
        """Say e.g. `Setting 'api_url' must start with https://: use …`."""
        super().__init__(f"{what} {problem}: {fix}.")


def check_settings(config: t.Mapping[str, t.Any]) -> None:
    """Refuse an API key, URL or date the settings schema accepts but lemlist not."""
    key, what = config["api_key"], "Setting 'api_key'"
    if key != key.strip():
        # A newline from a copied file would reach lemlist as part of the key.
        raise RefusedError(what, "starts or ends with whitespace", "remove it")
    if not key.isascii() or not key.isprintable():
        why = "holds non-ASCII or control characters"
        raise RefusedError(what, why, "copy it again")
    if problem := _api_url_problem(config["api_url"]):
        what = "Setting 'api_url'"
        fix = "use https://host[:port]/path (http:// only on localhost)"
        raise RefusedError(what, problem, fix)
    for position, one in enumerate(config["filters"]):
        what = f"Setting 'filters', item {position}:"
        dates: dict[str, dt.date] = {}
        for name in ("from", "to"):
            if name in one:
                try:
                    dates[name] = dt.date.fromisoformat(one[name])
                except ValueError:
                    problem = f"'{name}' {one[name]} is no calendar date"
                    raise RefusedError(what, problem, "use YYYY-MM-DD") from None
        if dates.get("from", dt.date.min) > dates.get("to", dt.date.max):
            problem = f"'from' {one['from']} is after 'to' {one['to']}"
            raise RefusedError(what, problem, "swap them")


def _api_url_problem(api_url: str) -> str | None:  # noqa: PLR0911 - one per rule
    # `https://host[:port]/path`, read as requests will. Plain http:// only on
    # loopback (a local stand-in), so the key never travels in clear text; userinfo
    # and backslashes, because URL parsers disagree on the host they name.
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
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        if not _is_host_name(host):
            return "names a host that is not a valid host name"
        loopback = host == "localhost"
    if url.scheme == "https" or (url.scheme == "http" and loopback):
        return None
    return "must start with https:// so the API key never travels in clear text"


def _is_host_name(host: str) -> bool:
    # What a resolver takes (RFC 1123), after IDNA encoding as the HTTP client does.
    try:
        labels = host.encode("idna").decode().removesuffix(".").split(".")
    except UnicodeError:
        return False
    label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    return all(re.fullmatch(label, one) for one in labels)


def _hide(record: logging.LogRecord) -> bool:
    if record.name.startswith("urllib3"):
        # urllib3 warns with a traceback when a deadline cuts an answer's headers;
        # the retry line says what happened, so its warning stays one line.
        record.exc_info, record.exc_text = None, None
    message = record.getMessage()
    if (hidden := redact(message, _secrets)) != message:
        record.msg, record.args = hidden, ()
    return True


def hide_in_logs(config: t.Mapping[str, t.Any], schema: dict[str, t.Any]) -> None:
    """Keep the values of the secret settings out of every log line, whoever logs it.

    A server can echo what it was sent, and a schema error quotes the value it
    refuses; this filter on the process's log handlers keeps the key out of both.
    """
    secret = schema["properties"]
    values = [v for k, v in config.items() if secret.get(k, {}).get("writeOnly")]
    # A value this short is no real key, and would blot out words instead.
    _secrets[:] = [v for v in values if len(str(v)) >= _SHORTEST_HIDDEN]
    for handler in logging.getLogger().handlers:
        handler.addFilter(_hide)  # once: a handler adds no filter twice


def redact(text: str, secrets: list[object]) -> str:
    """Replace every form of the secret values (text, repr, JSON) with `***`."""
    forms: set[str] = set()
    for secret in secrets:
        parts = secret if isinstance(secret, (list, tuple)) else [secret]
        for value in [secret, *parts]:
            forms |= {str(value), repr(value), json.dumps(value, default=str)}
    for form in sorted(forms - {"", "None", "null", "[]", "()"}, key=len, reverse=True):
        text = text.replace(form, "***")
    return text
