"""De-duplication by `_id` remembers every task of a sync in a few bytes each."""

from __future__ import annotations

from tap_lemlist_tasks.seen import SeenKeys


def test_every_key_is_new_once_and_seen_after_the_table_grows() -> None:
    seen = SeenKeys()
    keys = [f"opp_{n:017d}" for n in range(50_000)]

    first = [seen.add(key) for key in keys]
    again = [seen.add(key) for key in keys]

    assert all(first)
    assert not any(again)
    assert len(seen) == len(keys)
