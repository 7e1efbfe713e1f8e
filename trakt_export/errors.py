"""The one error tree of trakt-export; each error carries its exit code (SPEC §6).

    TraktExportError (1, internal)
    ├── UsageError (2)             bad flag, bad value
    │   ├── ConfigError (2)        bad TOML, unknown key, wrong type (names key and file)
    │   ├── InputError (2)         unreadable/corrupt input file (e.g. --from-zip)
    │   └── OutputError (2)        output not writable / disk full; nothing partial is left
    ├── AuthError (3)              no credentials, 401/403/423, refresh failed
    │   └── PrivateProfileError (3)
    ├── TraktUnavailableError (4)  network down, 5xx after retries, bad JSON
    │   ├── RateLimitError (4)     429 whose Retry-After is beyond the cap, or retries exhausted
    │   ├── IncompleteDataError (4) Trakt announced more items than it served
    │   ├── DataChangingError (4)  the data kept changing while it was read (SPEC §4)
    │   └── MalformedDataError (4) an item we cannot read (ZIP readers re-raise as InputError)
    └── LockHeldError (5)          another run holds the data-dir lock
Ctrl-C and SIGTERM are not errors of this tree: the CLI maps them to 130 and 143.
httpx errors become these at the client boundary (`transport/client.py`, `transport/retry.py`);
the CLI (`cli/console.py`, `guarded`) catches TraktExportError once, prints `message` (and
`hint`) on stderr and exits with `exit_code`.
"""

from __future__ import annotations


class TraktExportError(Exception):
    """Base class: a failure the user can act on. `hint` says what to do next."""

    exit_code: int = 1
    status: int | None = None  # the HTTP status behind it, when it came from a response

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The one or two lines printed on stderr."""
        out = [f"Error: {self.message}"]
        if self.hint:
            out.append(self.hint)
        return out


class UsageError(TraktExportError):
    exit_code = 2


class ConfigError(UsageError):
    """A configuration problem; the message names the key and the file."""


class InputError(UsageError):
    """An input file (e.g. the Trakt export ZIP) is missing, corrupt or foreign."""

    def lines(self) -> list[str]:
        """One line, what is wrong and what to do (like every bad-input error, issue 7)."""
        return [" ".join(filter(None, (f"Error: {self.message}", self.hint)))]


class OutputError(UsageError):
    """The output cannot be written (permissions, disk full); nothing partial is left."""


class AuthError(TraktExportError):
    exit_code = 3


class PrivateProfileError(AuthError):
    pass


class TraktUnavailableError(TraktExportError):
    exit_code = 4


class RateLimitError(TraktUnavailableError):
    """Trakt asked us to wait longer than we are allowed to, or 429s outlasted the retries."""

    def __init__(self, message: str, hint: str | None = None, retry_after: float | None = None):
        super().__init__(message, hint)
        self.retry_after = retry_after


class IncompleteDataError(TraktUnavailableError):
    """Trakt announced more items than it served (a silent gap is never saved)."""


class DataChangingError(TraktUnavailableError):
    """The account's data changed under every re-read: no consistent snapshot (SPEC §4)."""


class LockHeldError(TraktExportError):
    exit_code = 5


class MalformedDataError(TraktUnavailableError):
    """Trakt (or a ZIP) sent an item we cannot read; raised by models.py parsers."""
