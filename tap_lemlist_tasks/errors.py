"""Every failure the tap explains to its user, each in one line.

Messages are built here, from plain values, so each can be read and tested without
HTTP. None of them may contain the API key: they are built from statuses, page
numbers, settings other than the key, and at most 200 characters of a body lemlist
sent in answer to a request it refused.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from singer_sdk.exceptions import FatalAPIError


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


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
