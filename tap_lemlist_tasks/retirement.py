"""Whether a sync retires what it did not emit: a proven read, and a collapse guard.

A proven read (see `reads`) means no task that stayed open was missed. The guard
covers what no proof can: lemlist itself answering a much shorter list for a while.
A proven sync that would retire more than `max_retired_percent` of the tasks the
last retiring sync emitted retires nothing, once; the next proven sync that sees
the same drop (not a deeper one) retires, unless a sync in between saw no collapse.
What it needs between syncs is kept in the stream's Singer state, which Meltano
stores.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from tap_lemlist_tasks.reads import Verdict

#: The key of the stream's state the guard keeps its counts under.
STATE_KEY = "retirement"


@dataclass(frozen=True)
class Retirement:
    """Whether to send ACTIVATE_VERSION, and why, in words a user can act on."""

    retire: bool
    reason: str


def decide(  # noqa: PLR0913 - one decision, from all it depends on
    verdict: Verdict,
    emitted: int,
    state: dict[str, t.Any],
    *,
    noun: str,
    max_retired_percent: int,
    scope: str,
) -> Retirement:
    """Decide whether this sync retires, and remember what the guard needs.

    Args:
        verdict: How the sync's reads went.
        emitted: How many items the sync emitted.
        state: The stream's Singer state, updated in place.
        noun: What the items are, e.g. `tasks`.
        max_retired_percent: The guard's threshold (100: no guard).
        scope: A fingerprint of what selects the list (the tasks' filters). When it
            changed, what is retired may only have left the list's selection, and
            counts of two selections do not compare: the guard stands aside.

    Returns:
        The decision.
    """
    memory = state.setdefault(STATE_KEY, {})
    last = memory.get("last_retiring_sync_emitted")
    last_scope = memory.get("last_retiring_sync_scope", scope)
    if last_scope != scope:
        last = None  # counts of two selections do not compare
    collapsed = last is not None and _dropped(emitted, last, max_retired_percent)
    withheld = memory.get("collapse_withheld_emitted")
    proven = verdict.proven
    if proven is None:
        if not collapsed:
            # lemlist answered a list that is no collapse: one withheld before was
            # its bad minute, and the next one must be withheld anew. (A busy
            # team's unproven counts can thus keep a real drop withheld: safe.)
            memory.pop("collapse_withheld_emitted", None)
        return Retirement(
            retire=False,
            reason=(
                f"retired nothing: no read was proven complete ({noun} came, went "
                "or came back during each read); the next quieter sync retires"
            ),
        )
    proof = f"read {proven.number + 1} of {len(verdict.reads)} proven complete"
    memory["last_retiring_sync_scope"] = scope
    if last_scope != scope:
        memory["last_retiring_sync_emitted"] = emitted
        memory.pop("collapse_withheld_emitted", None)
        return Retirement(
            retire=True,
            reason=(
                f"retired the others ({proof}); the filters changed since the last "
                f"retiring sync, so {noun} retired now may only have left them, and "
                "not be done"
            ),
        )
    if collapsed:
        gone = f"{last - emitted} of the {last} {noun} of the last retiring sync"
        # Retired only when it agrees with the drop withheld before, not deeper.
        if withheld is None or _dropped(emitted, withheld, max_retired_percent):
            memory["collapse_withheld_emitted"] = emitted
            return Retirement(
                retire=False,
                reason=(
                    f"retired nothing: {gone} are gone, more than "
                    f"max_retired_percent ({max_retired_percent}%); if lemlist really "
                    f"holds {emitted} now, the next sync retires them"
                ),
            )
        proof += f"; {gone} are gone, as the sync before saw too"
    memory["last_retiring_sync_emitted"] = emitted
    memory.pop("collapse_withheld_emitted", None)
    return Retirement(retire=True, reason=f"retired the others ({proof})")


def _dropped(now: int, before: int, max_retired_percent: int) -> bool:
    """Whether going from `before` to `now` items retires more than the guard allows."""
    return now * 100 < before * (100 - max_retired_percent)
