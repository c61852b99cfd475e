"""The team an API key belongs to (`GET /team`): its id and name, and nothing else.

lemlist's key belongs to one team, and `GET /team` describes it. The same answer also
holds secrets (the key itself as `apiKey`, webhook URLs in `hooks` and
`slackWebhook`) and invited users' emails. The body is decoded into a struct that
declares `_id` and `name` only, so no other field is ever kept in memory, and no
message built here quotes the body, whatever it holds.

The request goes through the stream's session (the key's rate budget, its
throttle, its deadline, no redirects) and the stream's retry policy, and fails with
one line like a page does.
"""

from __future__ import annotations

import functools
import typing as t
from http import HTTPStatus

import msgspec
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_lemlist_tasks import errors
from tap_lemlist_tasks.paging import decode_body

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import RequestFunc

    from tap_lemlist_tasks.client import LemlistStream

TEAM_PATH = "/team"


class Team(msgspec.Struct, frozen=True):
    """The two fields of lemlist's Team object the tap keeps."""

    id: str = msgspec.field(name="_id")
    name: str | None = None

    def as_record(self) -> dict[str, t.Any]:
        """The row of the `teams` stream."""
        return {"_id": self.id, "name": self.name}


def decode_team(response: requests.Response) -> Team:
    """Decode a 2xx answer of `GET /team`, keeping `_id` and `name` only.

    Args:
        response: lemlist's answer.

    Returns:
        The team.

    Raises:
        RetriableAPIError: When the body is not a team; the message never quotes it.
    """
    team = decode_body(response, Team, "team")
    if not team.id:
        raise RetriableAPIError(errors.body_shape("team", "empty `_id`"), response)
    return team


class TeamOfKey:
    """Reads the key's team at most once per run, for every stream that needs it."""

    def __init__(self) -> None:
        """Nothing is read before a stream asks."""
        self._team: Team | None = None

    def get(self, stream: LemlistStream) -> Team:
        """Return the key's team, reading it through `stream` the first time.

        Args:
            stream: The stream whose session, budget and retry settings to use.

        Returns:
            The team.
        """
        if self._team is None:
            self._team = read_team(stream)
        return self._team


def read_team(stream: LemlistStream) -> Team:
    """Read `GET /team` through the stream's session, with the stream's retries.

    Args:
        stream: The stream whose session, budget and retry policy to use.

    Returns:
        The team.
    """
    prepared = stream.build_prepared_request(
        method="GET", url=stream.url_base + TEAM_PATH, headers=stream.http_headers
    )
    # The stream's retry policy, with its messages naming "the team request".
    send = stream.request_decorator(
        t.cast("RequestFunc", functools.partial(_send, stream))
    )
    return t.cast("Team", send(prepared, None))


def _send(
    stream: LemlistStream, prepared: requests.PreparedRequest, context: None
) -> Team:
    del context
    # As the SDK sends a page: the stream's session, timeout and redirect policy.
    response = stream.requests_session.send(
        prepared, timeout=stream.timeout, allow_redirects=stream.allow_redirects
    )
    # The SDK's request metric, as for a page: benchmarks count requests by it.
    stream._write_request_duration_log(  # noqa: SLF001
        endpoint=TEAM_PATH, response=response, context=None, extra_tags=None
    )
    status = response.status_code
    if (
        status in stream.extra_retry_statuses
        or status >= HTTPStatus.INTERNAL_SERVER_ERROR
    ):
        raise RetriableAPIError(errors.team_status(status, response.reason), response)
    if status >= HTTPStatus.BAD_REQUEST:
        where = f"{TEAM_PATH} at {stream.url_base}"
        raise errors.LemlistError(errors.team_status(status, response.reason, where))
    return decode_team(response)
