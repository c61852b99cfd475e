"""Bring lemlist's loosely typed records to the types their schema promises.

The target validates every record against the schema, so one record of a surprising
type would fail the whole load. lemlist stores some numbers as text (a task's
`priority` is created as `""` or `"0"`-`"2"`): those are converted. Anything that
cannot be converted without guessing stops the sync with an error naming the record
and field, rather than landing in the warehouse as a wrong value.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

if t.TYPE_CHECKING:
    import logging

_INTEGER_TEXT = re.compile(r"\s*[-+]?\d+\s*")


class UnexpectedRecordError(ValueError):
    """A record whose shape lemlist's documentation does not allow."""


Normaliser = t.Callable[[t.Any], t.Any]


def _to_integer(value: t.Any) -> int | None:  # noqa: ANN401
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    msg = "is not an integer"
    raise ValueError(msg)


def _to_text(value: t.Any) -> str | None:  # noqa: ANN401
    if value is None or isinstance(value, str):
        return value
    msg = "is not text"
    raise ValueError(msg)


def _to_date_time(value: t.Any) -> str | None:  # noqa: ANN401
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            # Python 3.10's fromisoformat predates the trailing "Z" lemlist sends.
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return value
    msg = "is not an ISO-8601 date-time"
    raise ValueError(msg)


def _unchanged(value: t.Any) -> t.Any:  # noqa: ANN401
    return value


def _normaliser(name: str, property_schema: dict[str, t.Any]) -> Normaliser:
    types = set(property_schema.get("type", [])) - {"null"}
    if types == {"integer"}:
        return _to_integer
    if types == {"string"} and property_schema.get("format") == "date-time":
        return _to_date_time
    if types == {"string"} and "format" not in property_schema:
        return _to_text
    # Found when the stream is built, not on every record of a sync.
    msg = f"field {name!r}: no normaliser for schema {property_schema}"
    raise TypeError(msg)


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
            name: _normaliser(name, property_schema)
            for name, property_schema in schema["properties"].items()
        }
        self._undeclared: set[str] = set()

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
        if not isinstance(record, dict):
            msg = f"lemlist returned a task that is not an object: {record!r:.80}"
            raise UnexpectedRecordError(msg)
        key = record.get(self._key)
        if not isinstance(key, str) or not key:
            msg = (
                f"lemlist returned a task without a text {self._key!r}: {record!r:.200}"
            )
            raise UnexpectedRecordError(msg)
        normalisers = self._normalisers
        try:
            normalised = {
                name: normalisers[name](value)
                for name, value in record.items()
                if name in normalisers
            }
        except ValueError:
            raise UnexpectedRecordError(self._first_problem(key, record)) from None
        if len(normalised) < len(record):
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
