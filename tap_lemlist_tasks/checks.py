"""Settings the tap refuses before any request, and the redaction of secrets.

Each refusal is one line naming the setting and how to fix it; none of them shows
the API key, and every message that can hold configuration passes through `redact`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import typing as t

from singer_sdk import mapper
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

if t.TYPE_CHECKING:
    from collections.abc import Mapping

_MAX_PORT = 65535
_MAX_HOST_LENGTH = 253
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_BOOLEAN_TEXT = {"true", "false", "1", "0", "yes", "no", "on", "off"}
_SHOWN = 40
_SHORTEST_HIDDEN = 8


class UnsafeSettingError(ValueError):
    """A setting that would leak the API key, fail every request, or retire tasks."""


def check_no_nulls(config: Mapping[str, t.Any], schema: Mapping[str, t.Any]) -> None:
    """Refuse `null` for a setting with a default, rather than act on it.

    A null `emit_activate_version_messages` would silently stop retiring tasks, and
    a null `rate_limit_requests` would silently stop the throttle.

    Args:
        config: The tap's config.
        schema: The tap's settings schema.

    Raises:
        UnsafeSettingError: Naming the first null setting and its default.
    """
    for name, setting in schema["properties"].items():
        if name in config and config[name] is None and "default" in setting:
            msg = (
                f"Setting {name!r} is null: set a value, or remove it to use the "
                f"default ({json.dumps(setting['default'])})."
            )
            raise UnsafeSettingError(msg)


def check_no_batch_config(config: Mapping[str, t.Any]) -> None:
    """Refuse the SDK's `batch_config`.

    Args:
        config: The tap's config.

    Raises:
        UnsafeSettingError: If `batch_config` is set.
    """
    if config.get("batch_config") is not None:
        msg = (
            "Setting 'batch_config' is not supported: the SDK would announce BATCH "
            "files after ACTIVATE_VERSION, so the target could retire tasks before "
            "loading them. Remove batch_config; records are streamed."
        )
        raise UnsafeSettingError(msg)


def check_api_key(api_key: object) -> None:
    """Refuse a key that cannot be lemlist's, without showing it.

    Args:
        api_key: The `api_key` setting.

    Raises:
        UnsafeSettingError: For surrounding whitespace or characters no key has.
    """
    if not isinstance(api_key, str):
        return  # the SDK's schema check says it must be a string
    if api_key != api_key.strip():
        msg = (
            "Setting 'api_key' starts or ends with whitespace (a newline from a "
            "copied file?): remove it."
        )
        raise UnsafeSettingError(msg)
    if not api_key.isascii() or not api_key.isprintable():
        msg = (
            "Setting 'api_key' holds characters no lemlist key has (non-ASCII or "
            "control characters): copy it again from lemlist, Settings > "
            "Integrations > API."
        )
        raise UnsafeSettingError(msg)


def check_api_url(api_url: str) -> None:
    """Refuse an `api_url` other than `https://host[:port]/path`, read as requests will.

    Plain `http://` is allowed on loopback only (a local stand-in), so the key never
    travels in clear text; userinfo and backslashes are refused because URL parsers
    disagree on the host they name.

    Args:
        api_url: The configured base URL.

    Raises:
        UnsafeSettingError: Naming what is wrong with the URL.
    """
    problem = _api_url_problem(api_url)
    if problem:
        msg = (
            f"Setting 'api_url' {problem}. Use https://host[:port]/path (plain "
            "http:// only on localhost); the default is https://api.lemlist.com/api."
        )
        raise UnsafeSettingError(msg)


def _api_url_problem(api_url: str) -> str | None:  # noqa: PLR0911
    if "\\" in api_url or not api_url.isprintable() or " " in api_url:
        return "holds a backslash, a space or a control character"
    try:
        url = parse_url(api_url)
    except LocationParseError:
        return "is not a URL the HTTP client can parse (is the port 1 to 65535?)"
    if url.auth is not None:
        return "holds a user name or password before the host"
    if url.query is not None or url.fragment is not None:
        return "holds a query or fragment"
    if url.port is not None and not 0 < url.port <= _MAX_PORT:
        return "is not a URL the HTTP client can parse (is the port 1 to 65535?)"
    if url.host and not _is_loopback(url.host) and not _is_host_name(url.host):
        return (
            "names a host that is not a valid host name (dot-separated labels of "
            "1 to 63 letters, digits or inner hyphens)"
        )
    if url.scheme == "https" and url.host:
        return None
    if url.scheme == "http" and _is_loopback(url.host or ""):
        return None
    return "must start with https:// so the API key never travels in clear text"


def _is_host_name(host: str) -> bool:
    # What a resolver takes (RFC 1123), after IDNA encoding as the HTTP client does.
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return len(ascii_host) <= _MAX_HOST_LENGTH and all(
        _HOST_LABEL.fullmatch(label)
        for label in ascii_host.removesuffix(".").split(".")
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _HideSecrets(logging.Filter):
    """Removes the secret settings' values from every line logged."""

    def __init__(self, secrets: list[object]) -> None:
        super().__init__()
        # A value this short is no real key, and would blot out words instead.
        self.secrets = [s for s in secrets if len(str(s)) >= _SHORTEST_HIDDEN]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = redact(message, self.secrets)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


def hide_in_logs(secrets: list[object]) -> None:
    """Keep secret values out of every log line, whoever logs it.

    A server can echo what it was sent (a redirect's `Location`, an error body);
    the messages built here never quote the key, and this filter on the process's
    log handlers makes sure no other line does.

    Args:
        secrets: The values of the secret settings.
    """
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


def environment_problem(
    schema: Mapping[str, t.Any], prefix: str, environ: Mapping[str, str]
) -> str | None:
    """Say which setting variable the SDK cannot read as its setting's type.

    The SDK reads an integer with `int()` (a traceback for `abc`), JSON with a
    JSON parser, and a boolean as true only if it is `true`, `1`, `yes` or `on`:
    `ture` would quietly turn a setting off.

    Args:
        schema: The tap's settings schema, built-in settings included.
        prefix: The variables' prefix, e.g. `TAP_LEMLIST_TASKS_`.
        environ: The environment.

    Returns:
        One line naming the first variable that is not its setting's type, or None.
    """
    for name, setting in schema["properties"].items():
        variable = prefix + name.upper()
        if variable not in environ:
            continue
        problem = _text_problem(environ[variable], setting)
        if problem:
            return (
                f"Environment variable {variable} {problem}: set it to a valid "
                "value, or unset it to use the default."
            )
    return None


def _text_problem(text: str, setting: Mapping[str, t.Any]) -> str | None:
    types = setting.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    shown = "" if setting.get("writeOnly") else f" ({text[:_SHOWN]!r})"
    if not text.strip() and types & {"integer", "boolean", "array", "object"}:
        return "is empty"
    if "integer" in types and not re.fullmatch(r"\s*[-+]?\d+\s*", text):
        return f"is not a whole number{shown}"
    if "boolean" in types and text.strip().lower() not in _BOOLEAN_TEXT:
        return f"is not true or false{shown}"
    for kind, python_type in (("array", list), ("object", dict)):
        if kind in types:
            try:
                value = json.loads(text)
            except ValueError:
                return f"is not JSON{shown}"
            if not isinstance(value, python_type):
                return f"is not a JSON {kind}{shown}"
    return None


def schema_error_line(errors: list[str]) -> str:
    """Turn the SDK's settings-schema errors into one line naming each setting.

    Args:
        errors: E.g. `3601 is greater than the maximum of 3600 in
            config['request_timeout_seconds']`.

    Returns:
        E.g. `Setting 'request_timeout_seconds': 3601 is greater than …`.
    """
    lines = []
    for error in errors:
        found = re.fullmatch(r"(.*) in config\[('[^']*')\](.*)", error, re.DOTALL)
        lines.append(f"Setting {found[2]}{found[3]}: {found[1]}" if found else error)
    return "; ".join(lines) + ". See tap-lemlist-tasks --about for every setting."


def stream_map_failure(error: BaseException) -> str | None:
    """The line for an error a `stream_maps` expression raised on a record, if it was.

    The SDK turns only an expression's syntax and unknown names into a
    MapExpressionError; one that divides by zero or reads a missing key raises from
    inside the SDK's mapper, found here by the frames the error passed through.

    Args:
        error: What stopped the sync.

    Returns:
        One line naming the expression and the error, or None for any other error.
    """
    line = None
    trace = error.__traceback__
    while trace is not None:
        code, names = trace.tb_frame.f_code, trace.tb_frame.f_locals
        if code.co_filename == mapper.__file__ and isinstance(names.get("expr"), str):
            where = f"{getattr(names.get('self'), 'stream_alias', '?')}"
            if names.get("property_name"):
                where += f".{names['property_name']}"
            line = (
                f"Setting 'stream_maps': the expression {names['expr']!r} for "
                f"{where} failed on a record ({type(error).__name__}: {error}); "
                "fix or remove it."
            )
        trace = trace.tb_next
    return line
