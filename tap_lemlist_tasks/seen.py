"""A compact set of the keys already emitted in one sync."""

from __future__ import annotations

import array

_EMPTY = 0
_INITIAL_SLOTS = 1024


class SeenKeys:
    """Remembers text keys in 8 bytes each, to emit every task once per sync.

    A Python set of 200,000 task ids costs about 22 MiB (each id is a 70-byte str
    object, plus the set's table); this open-addressing table of 64-bit hashes costs
    about 4 MiB. The price is a hash collision, which would drop one task from one
    sync: for n keys its probability is about n^2 / 2^65 (1e-9 at 200,000 tasks).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._slots = array.array("q", bytes(8 * _INITIAL_SLOTS))
        self._count = 0

    def __len__(self) -> int:
        """Return how many distinct keys were added."""
        return self._count

    def add(self, key: str) -> bool:
        """Remember a key.

        Args:
            key: The key, e.g. a task `_id`.

        Returns:
            True if the key is new, False if it was seen before.
        """
        digest = hash(key) or 1  # 0 marks an empty slot
        if not self._insert(self._slots, digest):
            return False
        self._count += 1
        if self._count * 2 > len(self._slots):  # keep probe chains short
            self._grow()
        return True

    @staticmethod
    def _insert(slots: array.array[int], digest: int) -> bool:
        mask = len(slots) - 1
        slot = digest & mask
        while (held := slots[slot]) != _EMPTY:
            if held == digest:
                return False
            slot = (slot + 1) & mask
        slots[slot] = digest
        return True

    def _grow(self) -> None:
        larger = array.array("q", bytes(16 * len(self._slots)))
        for digest in self._slots:
            if digest != _EMPTY:
                self._insert(larger, digest)
        self._slots = larger
