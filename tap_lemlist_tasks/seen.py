"""A compact ledger of the tasks one sync read, and which of its reads saw each."""

from __future__ import annotations

import array
import typing as t

_EMPTY = 0
_INITIAL_SLOTS = 1024
#: One bit per read in a byte of flags.
MAX_READS = 8


def digest_of(key: str) -> int:
    """Return the 64-bit digest a ledger keeps of a key (never 0: an empty slot).

    Args:
        key: The key, e.g. a task `_id`.

    Returns:
        The digest.
    """
    return hash(key) or 1


class Sighting(t.NamedTuple):
    """What the ledger knew of a key when a read saw it."""

    new: bool  #: no read of this sync saw it before
    again: bool  #: the same read saw it before


class ReadLedger:
    """Remembers text keys in 9 bytes each: a 64-bit hash and one bit per read.

    A Python set of 200,000 task ids costs about 22 MiB (each id is a 70-byte str
    object, plus the set's table); this open-addressing table costs about 5 MiB. The
    price is a hash collision, which would drop one task from one sync: for n keys
    its probability is about n^2 / 2^65 (1e-9 at 200,000 tasks).
    """

    def __init__(self) -> None:
        """Start empty."""
        self._digests = array.array("q", bytes(8 * _INITIAL_SLOTS))
        self._reads = bytearray(_INITIAL_SLOTS)
        self._count = 0

    def add(self, key: str, read: int) -> Sighting:
        """Note that read number `read` (0 to 7) saw a key.

        Args:
            key: The key, e.g. a task `_id`.
            read: The read's number in the sync, from 0.

        Returns:
            Whether the key is new to the sync, and whether this read saw it already.
        """
        digest = digest_of(key)
        slot = self._slot(self._digests, digest)
        new = self._digests[slot] == _EMPTY
        bit = 1 << read
        again = bool(self._reads[slot] & bit)
        if new:
            self._digests[slot] = digest
            self._count += 1
        self._reads[slot] |= bit
        if new and self._count * 2 > len(self._digests):  # keep probe chains short
            self._grow()
        return Sighting(new, again)

    def seen_by_no_other(
        self, read: int, *, others: t.Literal["later", "earlier"]
    ) -> int:
        """Return how many keys `read` saw that no later (or earlier) read saw.

        Args:
            read: The read's number.
            others: Which other reads count as witnesses.

        Returns:
            The number of keys without a witness.
        """
        bit = 1 << read
        witnesses = (0xFF ^ (bit | (bit - 1))) if others == "later" else bit - 1
        alone = bytes(
            flags & bit != 0 and flags & witnesses == 0 for flags in range(256)
        )
        return self._reads.translate(alone).count(1)

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
