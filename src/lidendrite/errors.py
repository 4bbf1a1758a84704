"""Typed errors of the package.

Every error that bad input can trigger derives from :class:`LidendriteError`;
the CLI prints it as one line and exits with status 2.
"""

__all__ = ["LidendriteError", "InputError", "OverlapError", "ToolMissingError"]


class LidendriteError(Exception):
    """Base class: a problem the user can fix, reported in one line."""


class InputError(LidendriteError, ValueError):
    """A file, key, atom or argument is invalid; the message names it."""


class OverlapError(InputError):
    """Two atoms closer than the allowed minimum distance (an MD the potential let
    collapse); callers that can live with a collapsed frame catch this one."""


class ToolMissingError(LidendriteError, RuntimeError):
    """An external program or library is not installed; the message says how to get it."""
