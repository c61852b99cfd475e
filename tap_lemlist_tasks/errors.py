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

if t.TYPE_CHECKING:
    from tap_lemlist_tasks.reads import Read, Verdict


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


class PlanGatedError(FatalAPIError):
    """lemlist's plan for this account does not include a route (HTTP 402)."""


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


def body_not_json(what: str, content_type: str) -> str:
    """The cause when a body is not JSON (an HTML error page, a cut body).

    Returns:
        A few words for the retry line, e.g. `page body is not valid JSON (…)`.
    """
    return f"{what} body is not valid JSON ({content_type})"


def body_shape(what: str, problem: str) -> str:
    """The cause when a body's JSON is not the expected shape.

    Args:
        what: `page` or `team`.
        problem: Which field and which types; never a value from the body.

    Returns:
        A few words for the retry line.
    """
    return f"{what} body has an unexpected shape ({problem})"


def body_too_deep(what: str) -> str:
    """The cause when a body nests arrays or objects deeper than msgspec decodes.

    Returns:
        A few words for the retry line.
    """
    return f"{what} body nests deeper than the decoder allows"


def not_the_api(url: str, content_type: str) -> str:
    """The error when `api_url` answers with a web page: lemlist's web app does.

    Returns:
        One line naming the URL and the fix.
    """
    return (
        f"{url} answered with a web page ({content_type}), not lemlist's API: check "
        "api_url (the default is https://api.lemlist.com/api)."
    )


def page_error(error: object) -> str:
    """The cause when a 200 page carries an `error`.

    Returns:
        A few words for the retry line.
    """
    return f"page body carries an error: {error!s:.200}"


def page_mismatch(echoed: object, requested: int) -> str:
    """The cause when lemlist says it answered another page than the one asked for.

    Returns:
        A few words for the retry line.
    """
    return f"lemlist answered page {echoed!r:.20} to a request for page {requested}"


def page_unproven_end() -> str:
    """The cause when an empty page does not echo its number.

    Returns:
        A few words for the retry line.
    """
    return "an empty page that does not echo its number cannot prove the end"


def page_ignored(page: int) -> str:
    """The error when pages keep holding the same tasks.

    Returns:
        One line naming the page.
    """
    return (
        f"lemlist served page {page} with exactly the tasks of the pages before it: "
        "it seems to ignore the page parameter. Stopping instead of looping; no "
        "task was emitted twice."
    )


def sync_summary(
    stream: str, emitted: int, verdict: Verdict, retried: int, retirement: str
) -> str:
    """The line that ends the sync of a list.

    Returns:
        What was emitted, how many reads and requests it took, and whether the
        sync retired what it did not emit, and why.
    """
    reads = len(verdict.reads)
    requests = verdict.pages + retried
    return (
        f"{stream}: {emitted} emitted in {reads} read{'s' * (reads != 1)} of the "
        f"list, {requests} requests ({retried} retried); {retirement}."
    )


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


def plan_gated(stream: str, body: str) -> str:
    """The warning when lemlist's plan gates a route (HTTP 402).

    Returns:
        One line naming the route, lemlist's words, and what the sync did instead.
    """
    said = body.strip().strip('"')
    return (
        f"{stream}: lemlist's plan for this account does not include GET /{stream} "
        f"(HTTP 402: {said:.120}); no {stream} loaded and none retired, the other "
        "streams load as usual."
    )


def no_users_listed() -> str:
    """The warning when the team's answer lists no users (no `version=v2`?).

    Returns:
        One line saying that the users stream loads and retires nothing.
    """
    return (
        "users: lemlist's answer to GET /team?version=v2 lists no users; none "
        "loaded and none retired."
    )


def drifting_filters(filter_ids: list[str]) -> str:
    """The warning at the start of a retiring sync whose filters can drift.

    Returns:
        One line naming the filters and how to get exact completions.
    """
    names = ", ".join(filter_ids)
    return (
        f"tasks: the filters on {names} select on what changes while a task stays "
        "open (a reassignment, a reschedule, a paused campaign, an edited lead): a "
        "task that leaves them is retired as if done. For exact completions, filter "
        "only on type or campaignId, or give each filter set an extractor and a "
        "schema of its own."
    )


def progress(stream: str, read: Read, page: int, emitted: int, noun: str) -> str:
    """The progress line of a sync, at the start of each read and every few pages.

    Returns:
        E.g. `tasks: read 2 (back from the end to page 0), page 3; 250 tasks so far`.
    """
    way = "back from the end to page 0" if read.backward else "forward from page 0"
    return (
        f"{stream}: read {read.number + 1} ({way}), page {page}; "
        f"{emitted:,} {noun} so far"
    )
