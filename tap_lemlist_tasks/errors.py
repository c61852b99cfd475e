"""The tap's exceptions, and the lines that explain a refusal by lemlist or a catalog.

No message may contain the API key: they are built from statuses, page numbers,
settings other than the key, and at most 200 characters of a body lemlist sent with
a refusal.
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError

#: What a refusal means for the user, by status; any other status is transient.
_REFUSALS = {
    401: "lemlist rejected the API key (HTTP 401). Set a valid key in the api_key "
    "setting or the TAP_LEMLIST_TASKS_API_KEY variable.",
    403: "lemlist refused access (HTTP 403): the lemlist user owning this API key "
    "is blocked. Ask the team's lemlist admin to unblock it.",
    404: "lemlist has no {where} (HTTP 404): the api_url setting looks wrong; the "
    "default is https://api.lemlist.com/api.",
    400: "lemlist refused the request (HTTP 400: {body}){sent}.",
}


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


class RefusedError(ValueError):
    """Input the tap refuses before any request, told with its cause and its fix."""


def status_message(
    status: int, reason: str, body: str, *, where: str, filters: str | None = None
) -> str:
    """Say what an HTTP error status means; `where` is e.g. `/tasks at <api_url>`."""
    if status not in _REFUSALS:
        return f"HTTP {status} {reason}".strip()
    sent = f" with filters {filters}" if filters is not None else ""
    return _REFUSALS[status].format(where=where, body=f"{body.strip():.200}", sent=sent)


def catalog_change(
    stream: str,
    keys: list[str],
    catalog_keys: list[str],
    properties: dict[str, t.Any],
    catalog_properties: dict[str, t.Any],
) -> str | None:
    """Say how a catalog changes the keys or types the tap can honour, if it does."""
    fix = "Use the catalog from --discover; select fields with metadata."
    if catalog_keys != keys:
        return (
            f"The catalog gives stream {stream!r} key properties {catalog_keys} "
            f"instead of {keys}. {fix}"
        )
    for name, schema in properties.items():
        given = catalog_properties.get(name)
        if given is not None and (kind := _type_of(given)) != _type_of(schema):
            return (
                f"The catalog gives field {name!r} of stream {stream!r} the type "
                f"{kind} instead of {_type_of(schema)}. {fix}"
            )
    return None


def _type_of(schema: dict[str, t.Any]) -> tuple[list[str], str | None]:
    types = schema.get("type", [])
    return sorted([types] if isinstance(types, str) else types), schema.get("format")
