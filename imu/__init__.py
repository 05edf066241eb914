"""hopscope sensor side: recordings, devices, importers and the simulator.

This package never imports :mod:`analysis`, matplotlib or the command line.
"""

from imu.decode import decode
from imu.errors import (
    ConnectionFailedError,
    DecodeError,
    DeviceNotFoundError,
    HopscopeError,
    HopscopeWarning,
    InvalidRecordingError,
    StreamInterruptedError,
)
from imu.recording import Recording, RecordingMeta, read_recording, write_recording

__all__ = [
    "ConnectionFailedError",
    "DecodeError",
    "DeviceNotFoundError",
    "HopscopeError",
    "HopscopeWarning",
    "InvalidRecordingError",
    "Recording",
    "RecordingMeta",
    "StreamInterruptedError",
    "decode",
    "read_recording",
    "write_recording",
]
