"""The tap's exceptions: a one-line cause and fix, built where raised, never the key."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


class RefusedError(ValueError):
    """Input the tap refuses before any request, told with its cause and its fix."""
