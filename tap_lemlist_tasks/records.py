"""Bring lemlist's loosely typed records to the types their schema promises.

The target validates every record against the schema, so one record of a surprising
type would fail the whole load. lemlist stores some numbers as text (a task's
`priority` is created as `""` or `"0"`-`"2"`): those are converted. Anything that
cannot be converted without guessing stops the sync with an error naming the record
and field, rather than landing in the warehouse as a wrong value.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import typing as t

if t.TYPE_CHECKING:
    import logging

_INTEGER_TEXT = re.compile(r"\s*[-+]?\d+\s*", re.ASCII)
_INT64 = range(-(2**63), 2**63)
# lemlist's own form, e.g. 2025-11-10T09:58:57.169Z: RFC 3339 in UTC already.
_LEMLIST_DATE_TIME = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z", re.ASCII
)
# Forms that convert without guessing: a date alone (midnight UTC), a space for the
# T, no seconds, no zone (UTC, which lemlist uses), a basic-format offset.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)"
    r"(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,6})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d\d:?\d\d)?",
    re.ASCII,
)


class UnexpectedRecordError(ValueError):
    """A record whose shape lemlist's documentation does not allow."""


Normaliser = t.Callable[[t.Any], t.Any]


def _to_integer(value: t.Any) -> int | None:  # noqa: ANN401
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        number = value
    elif isinstance(value, str) and not value.strip():
        return None
    elif (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value)) or (
        isinstance(value, float) and value.is_integer()
    ):
        number = int(value)
    else:
        msg = "is not an integer"
        raise ValueError(msg)
    if number is not None and number not in _INT64:
        msg = "is outside the 64-bit integer range a warehouse column holds"
        raise ValueError(msg)
    return number


def _to_date_time(value: t.Any) -> str | None:  # noqa: ANN401
    if value is None or value == "":
        return None
    if isinstance(value, str) and _LEMLIST_DATE_TIME.fullmatch(value):
        try:
            dt.datetime.fromisoformat(value[:-1])  # a real date and time?
        except ValueError:
            pass
        else:
            return value
    if isinstance(value, str) and (match := _DATE_TIME.fullmatch(value.strip())):
        try:
            return _rfc3339_utc(match)
        except ValueError:
            pass
    msg = "is not a date-time that converts to RFC 3339 without guessing"
    raise ValueError(msg)


def _rfc3339_utc(match: re.Match[str]) -> str:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0").ljust(6, "0"))
    moment = dt.datetime(  # noqa: DTZ001 - the zone is applied below
        int(year), int(month), int(day), int(hour or 0), int(minute or 0),
        int(second or 0), micros,
    )  # fmt: skip
    if zone and zone not in {"Z", "z"}:
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        moment -= sign * dt.timedelta(hours=hours, minutes=minutes)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if micros % 1000 == 0 and micros:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


def _unchanged(value: t.Any) -> t.Any:  # noqa: ANN401
    return value


def _to_boolean(value: t.Any) -> bool | None:  # noqa: ANN401
    if value is None or isinstance(value, bool):
        return value
    msg = "is not true or false"
    raise ValueError(msg)


class RecordNormaliser:
    """Normalises records of one stream, field by field, as its schema says.

    Fields the schema does not declare are dropped, with one warning per field name,
    so a field lemlist adds later cannot reach the target untyped.
    """

    def __init__(
        self, schema: dict[str, t.Any], key: str, logger: logging.Logger
    ) -> None:
        """Prepare one converter per property of the schema.

        Args:
            schema: The stream's JSON schema.
            key: The primary key field, used to name a record in errors.
            logger: Where to warn about undeclared fields.
        """
        self._key = key
        self._logger = logger
        self._normalisers = {
            name: self._normaliser(name, property_schema)
            for name, property_schema in schema["properties"].items()
        }
        self._declared = self._normalisers.keys()
        self._undeclared: set[str] = set()
        self._nul_values: collections.Counter[str] = collections.Counter()

    def _normaliser(self, name: str, property_schema: dict[str, t.Any]) -> Normaliser:
        types = set(property_schema.get("type", [])) - {"null"}
        if types == {"integer"}:
            return _to_integer
        if types == {"boolean"}:
            return _to_boolean
        if types == {"string"} and property_schema.get("format") == "date-time":
            return _to_date_time
        if types == {"string"} and "format" not in property_schema:
            return functools.partial(self._to_text, name)
        if types == {"array"}:
            items = property_schema.get("items") or {}
            each = self._normaliser(name, items) if items else self._scrubbed(name)
            return functools.partial(self._to_array, each)
        # Found when the stream is built, not on every record of a sync.
        msg = f"field {name!r}: no normaliser for schema {property_schema}"
        raise TypeError(msg)

    @staticmethod
    def _to_array(each: Normaliser, value: t.Any) -> list[t.Any] | None:  # noqa: ANN401
        if value is None:
            return None
        if not isinstance(value, list):
            msg = "is not a list"
            raise ValueError(msg)  # noqa: TRY004 - the normalisers' one signal
        return [each(item) for item in value]

    def _scrubbed(self, name: str) -> Normaliser:
        # Items of any JSON shape: kept as they are, but for NUL, which PostgreSQL
        # refuses in jsonb as in text.
        def scrub(value: t.Any) -> t.Any:  # noqa: ANN401
            if isinstance(value, str):
                return self._to_text(name, value)
            if isinstance(value, list):
                return [scrub(item) for item in value]
            if isinstance(value, dict):
                return {scrub(key): scrub(item) for key, item in value.items()}
            return value

        return scrub

    def _to_text(self, name: str, value: t.Any) -> str | None:  # noqa: ANN401
        if value is None:
            return None
        if not isinstance(value, str):
            msg = "is not text"
            raise ValueError(msg)  # noqa: TRY004 - the normalisers' one signal
        if "\x00" in value:  # PostgreSQL refuses NUL in text, and the whole batch
            self._nul_values[name] += 1
            return value.replace("\x00", "")
        return value

    def report(self) -> None:
        """Warn, once per field, about the values this sync had to change."""
        for name, count in sorted(self._nul_values.items()):
            self._logger.warning(
                "Removed NUL characters from %d value(s) of field %r: PostgreSQL "
                "cannot store them in text.",
                count,
                name,
            )

    def key_of(self, record: object) -> str:
        """Return a record's key, which every record must have as non-empty text.

        Args:
            record: One item of a lemlist list.

        Returns:
            The key, e.g. the task's `_id`.

        Raises:
            UnexpectedRecordError: If the record is not an object or has no such key.
        """
        if not isinstance(record, dict):
            msg = f"lemlist returned an item that is not an object: {record!r:.80}"
            raise UnexpectedRecordError(msg)
        key = record.get(self._key)
        if not isinstance(key, str) or not key:
            msg = (
                f"lemlist returned an item without a text {self._key!r}: "
                f"{record!r:.200}"
            )
            raise UnexpectedRecordError(msg)
        return key

    def __call__(self, record: object) -> dict[str, t.Any]:
        """Return the record's declared fields, each converted to its schema type.

        Args:
            record: One item of lemlist's `results`.

        Returns:
            A new record holding only the fields the schema declares.

        Raises:
            UnexpectedRecordError: If the record is not an object, has no usable key,
                or holds a value that cannot be converted.
        """
        key = self.key_of(record)
        record = t.cast("dict[str, t.Any]", record)
        get = record.get
        try:
            # Every declared field, null when lemlist left it out: stream maps and
            # targets can name any field of the schema.
            normalised = {
                name: normalise(get(name))
                for name, normalise in self._normalisers.items()
            }
        except ValueError:
            raise UnexpectedRecordError(self._first_problem(key, record)) from None
        if not record.keys() <= self._declared:
            self._warn_undeclared(record)
        return normalised

    def _first_problem(self, key: str, record: dict[str, t.Any]) -> str:
        # Only on the failing record: the fast path above cannot say which field.
        for name, value in record.items():
            try:
                self._normalisers.get(name, _unchanged)(value)
            except ValueError as error:  # noqa: PERF203
                return (
                    f"lemlist task {key}: field {name!r} holds {value!r:.80}, "
                    f"which {error}; please report this shape to the tap's maintainers"
                )
        return f"lemlist task {key} could not be normalised"  # pragma: no cover

    def _warn_undeclared(self, record: dict[str, t.Any]) -> None:
        new = set(record) - set(self._normalisers) - self._undeclared
        if new:
            self._undeclared |= new
            self._logger.warning(
                "Dropping fields lemlist sent but the schema does not declare: %s",
                ", ".join(sorted(new)),
            )
