"""lemlist's response bodies, decoded into the fields the tap keeps and no other.

msgspec decodes only the fields a struct declares, so whatever else a body holds
(the team's API key, webhook URLs, invited users' emails) is never kept in memory,
and its error messages name a field and types, never a value: no message built here
quotes a body.
"""

from __future__ import annotations

import typing as t

import msgspec
from singer_sdk.exceptions import RetriableAPIError

from tap_lemlist_tasks import errors

if t.TYPE_CHECKING:
    import requests


class Page(msgspec.Struct):
    """A page of `GET /tasks`: `{"results": [...], "page": "0"}`."""

    results: list[t.Any]
    page: int | str | None = None
    error: t.Any = None


class Team(msgspec.Struct, frozen=True):
    """The fields of lemlist's Team object (`?version=v2`) the tap keeps.

    `users` is None when lemlist sent none (an answer without `version=v2`).
    """

    id: str = msgspec.field(name="_id")
    name: t.Any = None
    users: list[t.Any] | None = None

    def as_record(self) -> dict[str, t.Any]:
        """The row of the `teams` stream."""
        return {"_id": self.id, "name": self.name}


class CampaignsPage(msgspec.Struct):
    """`GET /campaigns` as other clients read it: `{"campaigns": [...], …}`."""

    campaigns: list[t.Any]


_Body = t.TypeVar("_Body")


def decode_body(response: requests.Response, shape: type[_Body], what: str) -> _Body:
    """Decode a JSON body into `shape`; a body that is not one is worth a retry.

    Args:
        response: A 2xx answer from lemlist.
        shape: The msgspec type to decode into (undeclared fields are not kept).
        what: What the body is, for the message: `page` or `team`.

    Returns:
        The decoded body.

    Raises:
        RetriableAPIError: When the body is not JSON, or not of that shape.
    """
    try:
        return msgspec.json.decode(response.content, type=shape)
    except msgspec.ValidationError as error:
        raise RetriableAPIError(errors.body_shape(what, str(error)), response) from None
    except RecursionError:
        raise RetriableAPIError(errors.body_too_deep(what), response) from None
    except msgspec.DecodeError:
        content_type = response.headers.get("Content-Type", "no content type")
        message = errors.body_not_json(what, content_type)
        raise RetriableAPIError(message, response) from None


def decode_page(response: requests.Response, requested: int) -> Page:
    """Decode a page, and refuse one that is not what was asked for.

    Args:
        response: A 2xx answer from lemlist.
        requested: The page number asked for.

    Returns:
        The page.

    Raises:
        RetriableAPIError: When the body is not a page, carries an error, says it
            is another page, or is empty without saying which page it is.
    """
    page = decode_body(response, Page, "page")
    problem = _page_problem(page, requested)
    if problem:
        raise RetriableAPIError(problem, response)
    return page


def decode_team(response: requests.Response) -> Team:
    """Decode a 2xx answer of `GET /team`, keeping `_id` and `name` only.

    Args:
        response: lemlist's answer.

    Returns:
        The team.

    Raises:
        RetriableAPIError: When the body is not a team.
    """
    team = decode_body(response, Team, "team")
    if not team.id:
        raise RetriableAPIError(errors.body_shape("team", "empty `_id`"), response)
    return team


def decode_campaigns(response: requests.Response) -> list[t.Any]:
    """Decode a page of `GET /campaigns`, in either shape lemlist is seen to send.

    Args:
        response: A 2xx answer.

    Returns:
        The page's campaigns.
    """
    # lemlist's OpenAPI document shows a bare array; other clients read an object.
    body: list[t.Any] | CampaignsPage = decode_body(
        response,
        t.cast("type[list[t.Any] | CampaignsPage]", list[t.Any] | CampaignsPage),
        "campaigns page",
    )
    return body.campaigns if isinstance(body, CampaignsPage) else body


def _page_problem(page: Page, requested: int) -> str | None:
    if page.error is not None:
        return errors.page_error(page.error)
    echoed = _page_number(page.page)
    if page.page is not None and echoed != requested:
        return errors.page_mismatch(page.page, requested)
    if not page.results and echoed is None:
        return errors.page_unproven_end()
    return None


def _page_number(echoed: int | str | None) -> int | None:
    if isinstance(echoed, int):
        return echoed
    if isinstance(echoed, str) and echoed.isascii() and echoed.isdigit():
        return int(echoed)
    return None
