"""Every failure the tap explains to its user, each in one line.

Messages are built here, from plain values, so each can be read and tested without
HTTP. None of them may contain the API key: they are built from statuses, page
numbers, settings other than the key, and at most 200 characters of a body lemlist
sent in answer to a request it refused.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

import requests
import urllib3
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


class DeadlineExceededError(requests.exceptions.ReadTimeout):
    """lemlist's answer did not arrive in full within the request's deadline."""


def status_message(
    status: int, reason: str, body: str, *, where: str, filters: str | None = None
) -> str:
    """Say what an HTTP error status from lemlist means for the user.

    Args:
        status: The HTTP status.
        reason: Its reason phrase.
        body: The response body as text.
        where: The endpoint, e.g. `/tasks at https://api.lemlist.com/api`.
        filters: The `filters` parameter as sent, if the request sent one.

    Returns:
        One line; for a transient status, just the status.
    """
    if status == HTTPStatus.UNAUTHORIZED:
        return (
            "lemlist rejected the API key (HTTP 401). Set a valid key in the "
            "api_key setting or the TAP_LEMLIST_TASKS_API_KEY variable."
        )
    if status == HTTPStatus.FORBIDDEN:
        return (
            "lemlist refused access (HTTP 403): the lemlist user owning this API "
            "key is blocked. Ask the team's lemlist admin to unblock it."
        )
    if status == HTTPStatus.NOT_FOUND:
        return (
            f"lemlist has no {where} (HTTP 404): the api_url setting "
            "looks wrong; the default is https://api.lemlist.com/api."
        )
    if status == HTTPStatus.BAD_REQUEST:
        sent = f" with filters {filters}" if filters is not None else ""
        return f"lemlist refused the request (HTTP 400: {body.strip():.200}){sent}."
    return f"HTTP {status} {reason}".strip()


def certificate_rejected(error: requests.exceptions.SSLError) -> bool:
    """Return whether TLS failed because lemlist's certificate did not verify.

    Returns:
        True for a certificate that will not verify on the next try either.
    """
    return "CERTIFICATE_VERIFY_FAILED" in str(error)


def failure_cause(error: BaseException) -> str:
    """Say in a few words what went wrong with one attempt.

    Args:
        error: The exception of the failed attempt.

    Returns:
        E.g. `HTTP 503 Service Unavailable`, `read timeout`, `host not found`.
    """
    for kind, cause in _CAUSES:
        if isinstance(error, kind):
            return cause if isinstance(cause, str) else cause(error)
    return type(error).__name__


def _tls_cause(error: BaseException) -> str:
    if certificate_rejected(t.cast("requests.exceptions.SSLError", error)):
        return "TLS certificate verify failed"
    return "TLS handshake failed"


def _connection_cause(error: BaseException) -> str:
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host not found (DNS)"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        why = "connection refused" if "refused" in str(reason) else "unreachable"
        return f"{_NOT_CONNECTED} {_address_of(reason)} ({why})"
    cause = error.args[0] if error.args else None
    if isinstance(cause, urllib3.exceptions.ProtocolError):
        reset = any(isinstance(arg, ConnectionResetError) for arg in cause.args)
        return "connection reset" if reset else "connection broken"
    return "connection error"


def retrying(what: str, wait: float, tries: int, max_tries: int, cause: str) -> str:
    """The warning logged before a retry.

    Returns:
        One line naming the request (e.g. `page 3`), the wait, the attempt, the cause.
    """
    return (
        f"Retrying {what} in {wait:.1f} s "
        f"(attempt {tries} of {max_tries} failed: {cause})"
    )


def gave_up(what: str, tries: int, cause: str) -> str:
    """The error when a request failed on every try.

    Returns:
        One line naming the request, the tries and the last cause; when nothing
        answered at all, the address instead of lemlist.
    """
    if cause.startswith(_NOT_CONNECTED):
        address, _, why = cause.removeprefix(_NOT_CONNECTED).strip().partition(" ")
        return (
            f"Could not connect to {address} after {tries} tries {why}, for "
            f"{what}: nothing answered there. Check api_url (the default is "
            "https://api.lemlist.com/api) and the network."
        )
    return (
        f"lemlist kept failing on {what} after {tries} tries: {cause}. "
        "Try again later, or raise retry_max_tries."
    )


def redirected(status: int, location: str) -> str:
    """The error when lemlist answers with a redirect.

    Returns:
        One line naming the status and where it points.
    """
    return (
        f"lemlist answered HTTP {status}, a redirect to {location!r:.120}. The tap "
        "follows no redirect, so the API key never goes elsewhere: if lemlist "
        "moved its API, set api_url to the new address."
    )


def failed_at_once(what: str, cause: str) -> str:
    """The error when a request failed in a way a retry cannot fix.

    Returns:
        One line naming the request and the cause.
    """
    return f"Reading {what} from lemlist failed: {cause}. Not retried."


def wait_too_long(what: str, asked: float, longest: int) -> str:
    """The error when lemlist asks for a longer wait than the tap accepts.

    Returns:
        One line naming the wait asked for and the setting.
    """
    return (
        f"lemlist asked to wait {asked:.0f} s before {what} (Retry-After), "
        f"longer than max_retry_wait_seconds ({longest} s). Run again later, or "
        "raise max_retry_wait_seconds."
    )


def catalog_change(
    stream: str,
    keys: list[str],
    catalog_keys: list[str],
    properties: dict[str, t.Any],
    catalog_properties: dict[str, t.Any],
) -> str | None:
    """Say how a catalog changes what the tap can honour, if it does.

    Returns:
        One line naming the change and how to fix it, or None.
    """
    fix = "Use the catalog from --discover; select fields with metadata."
    if catalog_keys != keys:
        return (
            f"The catalog gives stream {stream!r} key properties {catalog_keys} "
            f"instead of {keys}. {fix}"
        )
    for name, schema in properties.items():
        given = catalog_properties.get(name)
        if given is not None and _type_of(given) != _type_of(schema):
            return (
                f"The catalog gives field {name!r} of stream {stream!r} the type "
                f"{_type_of(given)} instead of {_type_of(schema)}. {fix}"
            )
    return None


def _type_of(schema: dict[str, t.Any]) -> tuple[list[str], str | None]:
    types = schema.get("type", [])
    return sorted([types] if isinstance(types, str) else types), schema.get("format")


_NOT_CONNECTED = "could not connect to"


def _address_of(error: urllib3.exceptions.NewConnectionError) -> str:
    connection = getattr(error, "conn", None)
    host, port = getattr(connection, "host", "?"), getattr(connection, "port", "?")
    return f"{host}:{port}"


# In order: the first kind an error is an instance of names its cause.
_CAUSES: list[tuple[type[BaseException], str | t.Callable[[BaseException], str]]] = [
    (RetriableAPIError, str),
    (DeadlineExceededError, str),
    (requests.exceptions.SSLError, _tls_cause),
    (requests.exceptions.ConnectTimeout, "connect timeout"),
    (requests.exceptions.Timeout, "read timeout"),
    (requests.exceptions.ConnectionError, _connection_cause),
    (ConnectionResetError, "connection reset"),
    (requests.exceptions.TooManyRedirects, "too many redirects"),
    (requests.exceptions.InvalidSchema, "redirected to a URL that is not http(s)"),
    (requests.exceptions.MissingSchema, "redirected to a URL without a scheme"),
    (requests.exceptions.InvalidURL, "a malformed URL (check api_url, or a redirect)"),
    (requests.exceptions.InvalidHeader, "a malformed header"),
    (requests.exceptions.RequestException, lambda e: f"a broken answer ({e!s:.120})"),
]


# The key's team (`GET /team`). Its body holds the API key, webhook URLs and emails:
# none of these messages quotes it.


def team_status(status: int, reason: str, where: str = "/team") -> str:
    """Say what an HTTP error status of `GET /team` means, without its body.

    Returns:
        One line; for a transient status, just the status.
    """
    if status == HTTPStatus.BAD_REQUEST:
        return (
            "lemlist refused to name the API key's team (HTTP 400, 'Bad team' or no "
            "key): check the api_key setting."
        )
    return status_message(status, reason, "", where=where)
