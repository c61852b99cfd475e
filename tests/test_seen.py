"""The ledger of a sync: every task emitted once, and which reads saw it."""

from __future__ import annotations

from tap_lemlist_tasks.seen import ReadLedger, Sighting


def test_every_key_is_new_once_and_seen_after_the_table_grows() -> None:
    ledger = ReadLedger()
    keys = [f"opp_{n:017d}" for n in range(50_000)]

    first = [ledger.add(key, 0) for key in keys]
    again = [ledger.add(key, 1) for key in keys]

    assert first == [Sighting(new=True, again=False)] * len(keys)
    assert again == [Sighting(new=False, again=False)] * len(keys)


def test_a_key_seen_twice_by_one_read_is_told_apart_from_a_later_read() -> None:
    ledger = ReadLedger()
    ledger.add("opp_moved", 0)

    assert ledger.add("opp_moved", 0) == Sighting(new=False, again=True)
    assert ledger.add("opp_moved", 3) == Sighting(new=False, again=False)


def test_the_ledger_counts_keys_no_later_or_earlier_read_saw() -> None:
    ledger = ReadLedger()
    for n in range(3000):  # grows the table while flags are set
        ledger.add(f"all_{n}", 0)
        ledger.add(f"all_{n}", 1)
        ledger.add(f"all_{n}", 2)
    ledger.add("completed_during_read_0", 0)
    ledger.add("created_during_read_0", 1)
    ledger.add("created_during_read_0", 2)
    ledger.add("created_during_read_1", 2)

    assert ledger.seen_by_no_other(0, others="later") == 1
    assert ledger.seen_by_no_other(1, others="earlier") == 1
    assert ledger.seen_by_no_other(2, others="earlier") == 1
    assert ledger.seen_by_no_other(1, others="later") == 0
