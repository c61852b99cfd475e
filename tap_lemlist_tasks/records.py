"""lemlist's bodies as msgspec shapes, decoded once; lemlist's quirks set right.

msgspec keeps only the fields a shape declares (never the team's API key, webhooks or
invited users' emails), and its messages name a field, never a value.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

import msgspec
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import Required, TypedDict

from tap_lemlist_tasks.errors import LemlistError

if t.TYPE_CHECKING:
    import logging

    import requests
    from singer_sdk.helpers.types import Context, Record


def _about(description: str | None = None, **schema: object) -> msgspec.Meta:
    return msgspec.Meta(description=description, extra_json_schema=schema or None)


Id: t.TypeAlias = t.Annotated[str, msgspec.Meta(min_length=1)]
Text: t.TypeAlias = str | None
#: Dates stay text until `Quirks` reads them: lemlist's form is RFC 3339 in UTC.
Date: t.TypeAlias = t.Annotated[str | None, _about(format="date-time")]

_LEMLIST_LENGTH = len("2025-11-10T09:58:57.169Z")  # lemlist's form of a date
_INTEGER = re.compile(r"[-+]?[0-9]+")
#: A NUL in JSON: `\u0000` after an even number of backslashes (escaped ones).
_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
_Body = t.TypeVar("_Body")
#: Where msgspec found a list's item not of its record type: `$.results[3].title`.
_ITEM = re.compile(r" - at `\$(?:\.results|\.campaigns)?\[(\d+)\]")


class Task(TypedDict, total=False):
    """An item of `GET /tasks`: the fields lemlist documents."""

    _id: Required[t.Annotated[Id, _about("Task id, opp_…")]]
    type: t.Annotated[Text, _about("manual, phone, email, …")]
    title: Text
    # lemlist keeps it as text ("", "0"-"2"): `Quirks` makes it the schema's integer.
    priority: t.Annotated[
        int | float | str | None,
        _about("0 to 2; null if unset", type=["integer", "null"]),
    ]
    leadId: t.Annotated[Text, _about("Lead id, lea_…")]
    campaignId: t.Annotated[Text, _about("Campaign id, cam_…")]
    contactId: t.Annotated[Text, _about("Contact id, ctc_…")]
    dueDate: Date
    userId: t.Annotated[Text, _about("Assignee, usr_…")]
    content: Text
    status: t.Annotated[Text, _about("pending, completed, …")]
    createdAt: Date
    completedAt: Date


class Campaign(TypedDict, total=False):
    """An item of `GET /campaigns`."""

    _id: Required[t.Annotated[Id, _about("cam_…")]]
    name: Text
    status: t.Annotated[Text, _about("draft, running, ended, paused, errors, archived")]
    createdAt: Date
    createdBy: t.Annotated[Text, _about("usr_…")]
    # Arrays' items as 0.3 declared them: the columns stay text[] and jsonb[].
    labels: t.Annotated[list[str] | None, _about(items={"type": ["string"]})]
    hasError: bool | None
    errors: t.Annotated[list[t.Any] | None, _about(items={})]
    emoji: Text


class User(TypedDict, total=False):
    """A member of the team, from `GET /team?version=v2`."""

    userId: Required[t.Annotated[Id, _about("usr_…")]]
    name: t.Annotated[Text, _about("The user's name in lemlist")]
    email: Text
    role: t.Annotated[Text, _about("The user's role in the team")]


def schema_of(shape: type, **keys: str) -> dict[str, t.Any]:
    """Return the Singer schema of `shape`'s records, plus `keys`: text never null."""
    body = msgspec.json.schema(shape)["$defs"][shape.__name__]
    properties = {}
    for name in shape.__annotations__:  # in their order: a target's columns
        field = body["properties"][name]
        kinds = field.pop("anyOf", None) or [{"type": field.pop("type")}]
        # `str | None` is anyOf string, null: Singer's types ["string", "null"].
        types = field.pop("type", None) or [kind["type"] for kind in kinds]
        field.pop("minLength", None)  # the decoder's rule, not the column's
        properties[name] = {**field, "type": types}
    for key, description in keys.items():
        properties[key] = {"type": ["string"], "description": description}
    required = [*body["required"], *keys]
    return {"type": "object", "properties": properties, "required": required}


class TasksPage(msgspec.Struct):
    """A page of `GET /tasks`: `{"results": [...], "page": "0"}`."""

    results: list[Task]
    page: int | str | None = None
    error: t.Any = None


class CampaignsPage(msgspec.Struct):
    """`GET /campaigns` as other clients read it: `{"campaigns": [...], …}`."""

    campaigns: list[Campaign]


class Team(msgspec.Struct, frozen=True):
    """What the tap keeps of lemlist's Team; `users` None: none sent (no `v2`)."""

    id: Id = msgspec.field(name="_id")
    name: str | None = None
    users: list[User] | None = None

    def __repr__(self) -> str:
        """E.g. `4 users`: the SDK logs a context, and no name or email may show."""
        return "no users listed" if self.users is None else f"{len(self.users)} users"


def _refused(stream: str, key: object, problem: str) -> LemlistError:
    return LemlistError(
        f"{stream}: lemlist sent record {key!r:.80} with {problem}; the sync stopped "
        "rather than load it. Please report this shape to the tap's maintainers."
    )


def decode(response: requests.Response, shape: type[_Body], stream: str) -> _Body:
    """Decode a 2xx body as `shape`: retried if not of it; a bad item stops the sync."""
    what = "team" if shape is Team else "page"
    try:
        return msgspec.json.decode(response.content, type=shape)
    except msgspec.ValidationError as error:
        if place := _ITEM.search(str(error)):  # msgspec names a place, never a value
            index = int(place[1])
            item = next(iter(items_sent(response.content)[index:]), None)
            key = (item.get("_id") if isinstance(item, dict) else None) or f"#{index}"
            raise _refused(stream, key, f"{error}") from None
        msg = f"{what} body has an unexpected shape ({error})"
    except RecursionError:
        msg = f"{what} body nests deeper than the decoder allows"
    except msgspec.DecodeError:
        content_type = response.headers.get("Content-Type", "no content type")
        msg = f"{what} body is not valid JSON ({content_type})"
    raise RetriableAPIError(msg, response)


def items_sent(content: bytes) -> list[t.Any]:
    """A page's items as plain JSON: to name a bad one, or list the fields sent."""
    try:
        body = msgspec.json.decode(content)
    except (msgspec.DecodeError, RecursionError):  # then a bad item goes by its index
        return []
    if isinstance(body, dict):
        body = body.get("results", body.get("campaigns"))
    return body if isinstance(body, list) else []


class Quirks:
    """Sets right what lemlist stores loosely, in one stream's records, this sync."""

    def __init__(
        self, stream: str, schema: dict[str, t.Any], context: Context | None
    ) -> None:
        """Read the schema's dates and integers; the context's team_id, if any."""
        self._stream = stream
        fields = schema["properties"].items()
        # A child of the team carries its id: an agency's warehouse unites teams.
        team = {"teamId": context["team_id"]} if context else {}
        self._blank = {**dict.fromkeys(schema["properties"]), **team}
        self._fixes = [  # each field to set right, and how
            *[(n, self._date_time) for n, p in fields if p.get("format")],
            *[(n, self._integer) for n, p in fields if "integer" in p["type"]],
        ]
        self._nul: dict[str, int] = {}  # values changed, per field

    def __call__(self, row: Record, key: str) -> Record:
        """Return the record with every field (a map may name any), each of its type."""
        record = {**self._blank, **row}
        for name, fix in self._fixes:
            if (value := record[name]) is not None:  # and a blank one is a null
                text = str(value).strip()
                record[name] = fix(value, text, key, name) if text else None
        return record

    def scrub_nul(self, record: Record) -> Record:
        """Remove NULs (PostgreSQL refuses them in text and jsonb); return `record`."""
        for name, value in record.items():  # in text, or in the text of a list
            encoded = msgspec.json.encode(value)
            if (scrubbed := _NUL.sub(rb"\1", encoded)) != encoded:
                record[name] = msgspec.json.decode(scrubbed)
                self._nul[name] = self._nul.get(name, 0) + 1
        return record

    def report(self, logger: logging.Logger) -> None:
        """Warn, once per field, about the values this sync had to change."""
        for name, count in sorted(self._nul.items()):
            msg = f"{self._stream}: removed NUL characters from {count} value(s) of "
            msg += f"field {name!r}: PostgreSQL cannot store them in text."
            logger.warning("%s", msg)

    def _integer(self, value: float | str, text: str, key: str, name: str) -> int:
        whole = isinstance(value, float) and value.is_integer()
        if not (whole or _INTEGER.fullmatch(text)):  # an int's text matches too
            self._refuse(key, name, value, "is not an integer")
        if not -(2**63) <= (number := int(value if whole else text)) < 2**63:
            self._refuse(key, name, value, "is outside the 64-bit integer range")
        return number

    def _date_time(self, value: str, text: str, key: str, name: str) -> str:
        zoned = text[:-1] + "+00:00" if text[-1] in "Zz" else text
        try:  # zoned: Python 3.10 reads no "Z" as a zone
            moment = dt.datetime.fromisoformat(zoned)
        except ValueError:
            self._refuse(key, name, value, "is not an ISO 8601 date and time")
        if len(text) == _LEMLIST_LENGTH and text[10] + text[19] + text[-1] == "T.Z":
            return text  # lemlist's own form
        if moment.tzinfo is not None:  # naive: lemlist's time is UTC
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        exact = moment.isoformat(timespec="microseconds").removesuffix("000")
        return exact.removesuffix(".000") + "Z"  # milliseconds, or seconds, if exact

    def _refuse(self, key: str, name: str, value: object, problem: str) -> t.NoReturn:
        problem = f"field {name!r} holding {value!r:.80}, which {problem}"
        raise _refused(self._stream, key, problem)
