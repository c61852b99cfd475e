"""Whether a sync retires what it did not emit: a proven read, and a collapse guard.

A proven read (see `paging`) missed no item that stayed open; the guard covers lemlist
answering a much shorter list for a while. docs/retirement.md tells their rules.
"""

from __future__ import annotations

import hashlib
import logging
import time
import typing as t

from singer_sdk.streams import Stream

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tap_lemlist_tasks.paging import Verdict

STATE_KEY = "retirement"  # the guard's counts, in the stream's state


class Retiring(Stream):
    """A stream that retires what a complete sync did not emit, and only then."""

    #: Not the SDK's way, which sends it first: a failed sync would retire.
    emit_activate_version_messages = False

    @property
    def retires(self) -> bool:
        """Whether this sync may retire what it does not emit (and is selected)."""
        return bool(self.config["emit_activate_version_messages"]) and self.selected

    def start_version(self) -> None:
        """Stamp this sync's records with a table version of their own."""
        # Microseconds, not the SDK's seconds: two syncs started together differ.
        # The SDK has no public hook for either step, hence its private members:
        # records carry _stream_version, and the message honours stream maps.
        self._stream_version = time.time_ns() // 1_000

    def activate_version(self) -> None:
        """Tell the target to retire every row older than start_version's version."""
        self._write_activate_version_message(t.cast("int", self._stream_version))

    def settle(self, verdict: Verdict, sent: int, scope: str, retried: int) -> None:
        """Retire what the sync did not send if it may, and say so in one line."""
        off = False, "retired nothing: emit_activate_version_messages is false"
        retire, why = self.decide(verdict, sent, scope) if self.retires else off
        reads = len(verdict.reads)
        requests = sum(read.pages for read in verdict.reads) + retried
        self.logger.log(
            logging.WARNING if self.retires and not retire else logging.INFO,
            "%s",
            f"{self.name}: {sent} emitted in {reads} read{'s' * (reads != 1)} of the "
            f"list, {requests} requests ({retried} retried); {why}.",
        )
        if retire:
            self.activate_version()

    def decide(self, verdict: Verdict, emitted: int, scope: str) -> tuple[bool, str]:
        """Whether this sync retires, and why; the guard's counts go in the state."""
        memory = self.stream_state.setdefault(STATE_KEY, {})
        new_scope = self.changed_scope(scope) is not None
        noun, most = self.name, int(self.config["max_retired_percent"])
        # Counts of two selections (scopes) do not compare: the guard stands aside.
        last = None if new_scope else memory.get("last_retiring_sync_emitted")
        collapsed = last is not None and _dropped(emitted, last, most)
        if (proven := verdict.proven) is None:
            if not collapsed:
                # lemlist answered a list that is no collapse: one withheld before was
                # its bad minute, and the next one must be withheld anew.
                memory.pop("collapse_withheld_emitted", None)
            return False, (
                f"retired nothing: no read was proven complete ({noun} came, went "
                "or came back during each read); the next quieter sync retires"
            )
        proof = f"read {proven.number + 1} of {len(verdict.reads)} proven complete"
        memory["last_retiring_sync_scope"] = scope
        if new_scope:
            proof += (
                f"; the filters changed since the last retiring sync, so {noun} "
                "retired now may only have left them, and not be done"
            )
        if last is not None and collapsed:
            gone = f"{last - emitted} of the {last} {noun} of the last retiring sync"
            # Retired only when it agrees with the drop withheld before, not deeper.
            withheld = memory.get("collapse_withheld_emitted")
            if withheld is None or _dropped(emitted, withheld, most):
                memory["collapse_withheld_emitted"] = emitted
                return False, (
                    f"retired nothing: {gone} are gone, more than max_retired_percent "
                    f"({most}%); if lemlist really holds {emitted} now, the next sync "
                    "retires them"
                )
            proof += f"; {gone} are gone, as the sync before saw too"
        memory["last_retiring_sync_emitted"] = emitted
        memory.pop("collapse_withheld_emitted", None)
        return True, f"retired the others ({proof})"

    def whole(self, records: Iterable[dict[str, t.Any]]) -> Iterator[dict[str, t.Any]]:
        """Yield the records of one answer, stamped if it retires; then retire."""
        if retiring := self.retires:
            self.start_version()
        yield from records
        if retiring:  # after the last row: a failed read retires nothing
            self.activate_version()

    def changed_scope(self, scope: str) -> str | None:
        """The scope (e.g. tasks' filters) of the last retiring sync, if not `scope`."""
        last = self.stream_state.get(STATE_KEY, {}).get("last_retiring_sync_scope")
        digest = hashlib.sha256(scope.encode()).hexdigest()[:16]  # the form before 0.4
        return None if last in {None, scope, digest} else str(last)


def _dropped(now: int, before: int, max_retired_percent: int) -> bool:
    return now * 100 < before * (100 - max_retired_percent)
