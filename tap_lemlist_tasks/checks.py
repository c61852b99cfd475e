"""Settings the tap refuses before any request, and the redaction of secrets.

Each refusal is one line naming the setting and how to fix it; none of them shows
the API key, and every message that can hold configuration passes through `redact`.
"""

from __future__ import annotations

import ipaddress
import json
import typing as t

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

if t.TYPE_CHECKING:
    from collections.abc import Mapping

_MAX_PORT = 65535


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
    if url.scheme == "https" and url.host:
        return None
    if url.scheme == "http" and _is_loopback(url.host or ""):
        return None
    return "must start with https:// so the API key never travels in clear text"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
