"""A compact ledger of the tasks one sync read, and in which of its two reads."""

from __future__ import annotations

import array
import typing as t

_EMPTY = 0
_INITIAL_SLOTS = 1024
FIRST_READ = 1
CONFIRMING_READ = 2


def digest_of(key: t.Hashable) -> int:
    """Return the 64-bit digest a ledger keeps of a key (never 0: an empty slot).

    Args:
        key: The key, e.g. a task `_id`.

    Returns:
        The digest.
    """
    return hash(key) or 1


class ReadLedger:
    """Remembers text keys in 9 bytes each, to emit every task once per sync.

    A Python set of 200,000 task ids costs about 22 MiB (each id is a 70-byte str
    object, plus the set's table); this open-addressing table of 64-bit hashes,
    with one byte of flags saying which read saw the key, costs about 5 MiB. The
    price is a hash collision, which would drop one task from one sync: for n keys
    its probability is about n^2 / 2^65 (1e-9 at 200,000 tasks).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._digests = array.array("q", bytes(8 * _INITIAL_SLOTS))
        self._reads = bytearray(_INITIAL_SLOTS)
        self._count = 0

    def __len__(self) -> int:
        """Return how many distinct keys were read."""
        return self._count

    def add(self, key: t.Hashable, read: int = FIRST_READ) -> bool:
        """Note that `read` saw a key.

        Args:
            key: The key, e.g. a task `_id`.
            read: FIRST_READ or CONFIRMING_READ.

        Returns:
            True if no read of this sync saw the key before.
        """
        digest = digest_of(key)
        slot = self._slot(self._digests, digest)
        new = self._digests[slot] == _EMPTY
        if new:
            self._digests[slot] = digest
            self._count += 1
        self._reads[slot] |= read
        if new and self._count * 2 > len(self._digests):  # keep probe chains short
            self._grow()
        return new

    def reads_of(self, key: str) -> int:
        """Return which reads saw a key.

        Args:
            key: The key, e.g. a task `_id`.

        Returns:
            FIRST_READ | CONFIRMING_READ flags; 0 for a key no read saw.
        """
        return self.reads_of_digest(digest_of(key))

    def reads_of_digest(self, digest: int) -> int:
        """Return which reads saw the key of this `digest_of`.

        Args:
            digest: The key's digest.

        Returns:
            FIRST_READ | CONFIRMING_READ flags; 0 for a key no read saw.
        """
        return self._reads[self._slot(self._digests, digest)]

    def count_only(self, read: int) -> int:
        """Return how many keys only `read` saw.

        Args:
            read: FIRST_READ or CONFIRMING_READ.

        Returns:
            The number of keys the other read did not see.
        """
        return self._reads.count(read)

    @staticmethod
    def _slot(digests: array.array[int], digest: int) -> int:
        mask = len(digests) - 1
        slot = digest & mask
        while (held := digests[slot]) != _EMPTY and held != digest:
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        digests = array.array("q", bytes(16 * len(self._digests)))
        reads = bytearray(2 * len(self._reads))
        for digest, read in zip(self._digests, self._reads, strict=True):
            if digest != _EMPTY:
                slot = self._slot(digests, digest)
                digests[slot], reads[slot] = digest, read
        self._digests, self._reads = digests, reads
