"""Every failure the tap explains to its user, each in one line.

Messages are built here, from plain values, so each can be read and tested without
HTTP. None of them may contain the API key: they are built from statuses, page
numbers, settings other than the key, and at most 200 characters of a body lemlist
sent in answer to a request it refused.
"""

from __future__ import annotations

from http import HTTPStatus

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


def status_message(
    status: int, reason: str, body: str, *, where: str, filters: str
) -> str:
    """Say what an HTTP error status from lemlist means for the user.

    Args:
        status: The HTTP status.
        reason: Its reason phrase.
        body: The response body as text.
        where: The endpoint, e.g. `/tasks at https://api.lemlist.com/api`.
        filters: The `filters` parameter as sent.

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
        return (
            f"lemlist refused the request (HTTP 400: {body.strip():.200}) "
            f"with filters {filters}."
        )
    return f"HTTP {status} {reason}".strip()


def failure_cause(error: BaseException) -> str:
    """Say in a few words what went wrong with one attempt.

    Args:
        error: The exception of the failed attempt.

    Returns:
        E.g. `HTTP 503 Service Unavailable` or `read timeout`.
    """
    if isinstance(error, RetriableAPIError):
        return str(error)
    if isinstance(error, requests.exceptions.Timeout):
        return "read timeout"
    if isinstance(error, (ConnectionResetError, requests.exceptions.ConnectionError)):
        return "connection error"
    return type(error).__name__


def retrying(page: str, wait: float, tries: int, max_tries: int, cause: str) -> str:
    """The warning logged before a retry.

    Returns:
        One line naming the page, the wait, the attempt and its cause.
    """
    return (
        f"Retrying page {page} in {wait:.1f} s "
        f"(attempt {tries} of {max_tries} failed: {cause})"
    )


def gave_up(page: str, tries: int, cause: str) -> str:
    """The error when a page failed on every try.

    Returns:
        One line naming the page, the tries and the last cause.
    """
    return (
        f"lemlist kept failing on page {page} after {tries} tries: {cause}. "
        "Try again later, or raise retry_max_tries."
    )


def page_not_json(content_type: str) -> str:
    """The cause when a page's body is not JSON (an HTML error page, a cut body).

    Returns:
        A few words for the retry line.
    """
    return f"page body is not valid JSON ({content_type})"


def page_shape(problem: str) -> str:
    """The cause when a page's JSON is not `{"results": [...]}`.

    Returns:
        A few words for the retry line.
    """
    return f"page body has an unexpected shape ({problem})"


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


def not_sure_to_retire(only_first: int, only_second: int) -> str:
    """The warning when a sync cannot prove it read every open task.

    Returns:
        One line saying why ACTIVATE_VERSION is withheld.
    """
    return (
        f"Not retiring tasks this sync: lemlist's task list lost {only_first} and "
        f"gained {only_second} tasks while it was read, so a task that stayed open "
        "may have been missed. Every task read was emitted; the next sync retires."
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
    return status_message(status, reason, "", where=where, filters="[]")


def team_not_json(content_type: str) -> str:
    """The cause when the team's body is not JSON.

    Returns:
        A few words for the retry line.
    """
    return f"team body is not valid JSON ({content_type})"


def team_shape(problem: str) -> str:
    """The cause when the team's JSON has no text `_id` (or a `name` not text).

    Args:
        problem: Which field and which types; never a value from the body.

    Returns:
        A few words for the retry line.
    """
    return f"team body has an unexpected shape ({problem})"


def team_retrying(wait: float, tries: int, max_tries: int, cause: str) -> str:
    """The warning logged before retrying `GET /team`.

    Returns:
        One line naming the wait, the attempt and its cause.
    """
    return (
        f"Retrying the team request in {wait:.1f} s "
        f"(attempt {tries} of {max_tries} failed: {cause})"
    )


def team_failed(cause: str) -> str:
    """The error when `GET /team` failed in a way a retry would not fix.

    Returns:
        One line naming the cause.
    """
    return f"Reading the API key's team (GET /team) from lemlist failed: {cause}."


def team_gave_up(tries: int, cause: str) -> str:
    """The error when `GET /team` failed on every try.

    Returns:
        One line naming the tries and the last cause.
    """
    return (
        f"lemlist kept failing on the team request (GET /team) after {tries} tries: "
        f"{cause}. Try again later, or raise retry_max_tries."
    )
