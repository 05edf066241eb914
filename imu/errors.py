"""The exception hierarchy and warning category shared by the whole project.

Every error a user can cause derives from :class:`HopscopeError`; the command line turns
these into one line and exit code 2. Recoverable degradation is a :class:`HopscopeWarning`.
"""

from __future__ import annotations

from collections.abc import Sequence


class HopscopeError(Exception):
    """Base class of every error hopscope raises on purpose."""


class HopscopeWarning(UserWarning):
    """Recoverable degradation: the result is usable but less trustworthy."""


class InvalidRecordingError(HopscopeError, ValueError):
    """A recording or export file cannot be read as it stands.

    Parameters
    ----------
    file : str
        The file that was read.
    expected : str
        What was expected at that place, in plain words.
    line : int, optional
        1-based line number in the file, when known.
    column : str, optional
        Column name, when known.
    """

    def __init__(
        self,
        file: str,
        expected: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file)
        self.expected = expected
        self.line = line
        self.column = column
        place = []
        if line is not None:
            place.append(f"line {line}")
        if column is not None:
            place.append(f"column {column!r}")
        where = f" ({', '.join(place)})" if place else ""
        super().__init__(f"{self.file}{where}: {expected}")


class DeviceNotFoundError(HopscopeError):
    """No matching BLE device was seen during a scan.

    Parameters
    ----------
    searched : str
        What was searched for (kind, name or address).
    timeout_s : float
        How long the scan lasted, in seconds.
    """

    def __init__(self, searched: str, timeout_s: float) -> None:
        self.searched = searched
        self.timeout_s = timeout_s
        super().__init__(
            f"no device matching {searched} found within {timeout_s:g} s; "
            "check that it is switched on, charged and not connected to a phone app"
        )


class ConnectionFailedError(HopscopeError):
    """Connecting to a device failed after retries.

    Parameters
    ----------
    address : str
        The device address.
    attempts : int
        How many attempts were made.
    reason : str
        The last failure, in words.
    """

    def __init__(self, address: str, attempts: int, reason: str) -> None:
        self.address = address
        self.attempts = attempts
        self.reason = reason
        super().__init__(f"could not connect to {address} after {attempts} attempt(s): {reason}")


class StreamInterruptedError(HopscopeError):
    """A stream ended and could not be resumed.

    Parameters
    ----------
    address : str
        The device address.
    reason : str
        Why the stream ended.
    """

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"stream from {address} interrupted: {reason}")


class DecodeError(HopscopeError, ValueError):
    """A notification payload does not match its device's byte layout.

    Parameters
    ----------
    driver : str
        The driver name, e.g. ``"polar"``.
    payload : bytes
        The payload that failed.
    reason : str
        What was wrong.
    """

    def __init__(
        self, driver: str, payload: bytes | bytearray | Sequence[int], reason: str
    ) -> None:
        self.driver = driver
        self.payload = bytes(payload)
        self.reason = reason
        head = self.payload[:16].hex(" ")
        more = " …" if len(self.payload) > 16 else ""
        super().__init__(f"{driver}: {reason} (payload of {len(self.payload)} bytes: {head}{more})")
