"""The tap's own exceptions: each says in one line what went wrong and the fix.

Their messages are built where they are raised, and none may hold the API key.
"""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class LemlistError(FatalAPIError):
    """A failure the tap cannot recover from, told in one line."""


class RefusedError(ValueError):
    """Input the tap refuses before any request, told with its cause and its fix."""
