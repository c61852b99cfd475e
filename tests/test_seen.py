"""The ledger of a sync: every task emitted once, and which read saw it."""

from __future__ import annotations

from tap_lemlist_tasks.seen import CONFIRMING_READ, FIRST_READ, ReadLedger


def test_every_key_is_new_once_and_seen_after_the_table_grows() -> None:
    ledger = ReadLedger()
    keys = [f"opp_{n:017d}" for n in range(50_000)]

    first = [ledger.add(key) for key in keys]
    again = [ledger.add(key) for key in keys]

    assert all(first)
    assert not any(again)
    assert len(ledger) == len(keys)


def test_the_ledger_counts_keys_only_one_read_saw() -> None:
    ledger = ReadLedger()
    for n in range(3000):  # grows the table while flags are set
        ledger.add(f"both_{n}", FIRST_READ)
        ledger.add(f"both_{n}", CONFIRMING_READ)
    ledger.add("completed_while_read", FIRST_READ)
    ledger.add("inserted_while_read", CONFIRMING_READ)
    ledger.add("inserted_too", CONFIRMING_READ)

    assert ledger.count_only(FIRST_READ) == 1
    assert ledger.count_only(CONFIRMING_READ) == 2
