"""Raw bytes of a file (or of a member of a ZIP archive) and its decoded first lines.

Readers work on a :class:`Source`: a name for messages and a pyarrow buffer holding the bytes
(memory-mapped for files, so nothing is copied). :class:`Head` is the start of the content,
split into lines with their byte offsets, so that a reader can find where its data begin and
hand the rest to the CSV parser untouched.
"""

from __future__ import annotations

import mmap
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from pathlib import Path

import pyarrow as pa

from imu.errors import InvalidRecordingError

#: Bytes of content looked at to recognise a format.
SNIFF_BYTES = 4096
#: Bytes split into lines for readers that need to find their header and first data lines.
HEAD_BYTES = 16384
#: Lines of the head split and decoded (preambles and first data rows fit easily).
MAX_HEAD_LINES = 120

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
UTF8_BOM = b"\xef\xbb\xbf"

#: Text encodings tried in turn; latin-1 decodes anything.
ENCODINGS = ("utf-8", "gb18030", "latin-1")

#: What reading a damaged ZIP archive or member can raise.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True)
class Source:
    """The bytes of one file or archive member.

    Parameters
    ----------
    name : str
        Name used in messages: the file path, or ``archive.zip:member.csv``.
    buffer : pyarrow.Buffer
        The whole content.
    path : pathlib.Path, optional
        The file on disk, when the source is a whole file.
    member : str, optional
        The member name inside an archive.
    """

    name: str
    buffer: pa.Buffer = field(repr=False)
    path: Path | None = None
    member: str | None = None

    @property
    def size(self) -> int:
        """Content length in bytes."""
        return self.buffer.size

    @cached_property
    def head(self) -> Head:
        """The first lines of the content."""
        return Head.from_bytes(
            self.buffer[:HEAD_BYTES].to_pybytes(), complete=self.size <= HEAD_BYTES
        )

    @property
    def file_name(self) -> str:
        """The bare file name (of the member, inside an archive)."""
        if self.member is not None:
            return self.member.rsplit("/", 1)[-1]
        return self.path.name if self.path is not None else self.name

    def error(self, expected: str, **where: object) -> InvalidRecordingError:
        """Build the error for this source."""
        return InvalidRecordingError(self.name, expected, **where)  # type: ignore[arg-type]


def open_source(path: str | os.PathLike[str]) -> Source:
    """Memory-map a file as a :class:`Source`.

    Raises
    ------
    InvalidRecordingError
        The file does not exist or cannot be read.
    """
    p = Path(path)
    if p.is_dir():
        raise InvalidRecordingError(str(p), "expected a file, got a directory")
    try:
        buffer = _map(p)
    except FileNotFoundError:
        raise InvalidRecordingError(str(p), "file not found") from None
    except OSError as exc:
        raise InvalidRecordingError(str(p), f"cannot read the file: {exc}") from None
    return Source(str(p), buffer, path=p)


def _map(path: Path) -> pa.Buffer:
    """Map a file into memory read-only (read it when it cannot be mapped).

    Python's mmap hands pyarrow the mapping as it is; ``pyarrow.memory_map`` would first
    advise the kernel to read the whole file ahead, which costs a tenth of a millisecond on
    a file of a few MB that is in the page cache anyway.
    """
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return pa.py_buffer(b"")
        try:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # not mappable (a pipe or a device): read it
            return pa.py_buffer(fh.read())
    return pa.py_buffer(mapped)


def member_source(archive: Source, zf: zipfile.ZipFile, member: str) -> Source:
    """Read one member of a ZIP archive into memory as a :class:`Source`.

    Raises
    ------
    InvalidRecordingError
        The member cannot be decompressed.
    """
    name = f"{archive.name}:{member}"
    try:
        data = zf.read(member)
    except ZIP_ERRORS as exc:
        raise InvalidRecordingError(name, f"cannot decompress the archive member: {exc}") from None
    return Source(name, pa.py_buffer(data), path=archive.path, member=member)


def open_zip(src: Source) -> zipfile.ZipFile:
    """Open a source as a ZIP archive.

    Raises
    ------
    InvalidRecordingError
        The content is not a readable ZIP archive.
    """
    import io

    try:
        return zipfile.ZipFile(io.BytesIO(memoryview(src.buffer)))
    except ZIP_ERRORS as exc:
        raise src.error(f"expected a readable ZIP archive: {exc}") from None


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes with the first encoding of :data:`ENCODINGS` that fits.

    A multi-byte character cut at the end of ``raw`` is ignored.

    Returns
    -------
    text, encoding : str, str
    """
    for enc in ENCODINGS:
        for cut in range(4):
            if cut and len(raw) < cut:
                break
            try:
                return raw[: len(raw) - cut].decode(enc), enc
            except UnicodeDecodeError:
                continue
    return raw.decode("latin-1"), "latin-1"  # pragma: no cover - latin-1 always decodes


@dataclass(frozen=True)
class Head:
    """The first lines of a text content.

    Parameters
    ----------
    raw : bytes
        The first bytes (a byte-order mark included).
    complete : bool
        Whether ``lines`` cover the whole content.
    bom : int
        Length of the UTF-8 byte-order mark (0 or 3).
    encoding : str
        The encoding that decoded the first lines.
    lines : list of str
        Decoded lines without line endings; a last line cut by the head size is left out.
    offsets : list of int
        Byte offset in the content of the start of each line.
    ends : list of int
        Byte offset in the content just after each line's line feed.
    """

    raw: bytes = field(repr=False)
    complete: bool
    bom: int
    encoding: str
    lines: list[str] = field(repr=False)
    offsets: list[int] = field(repr=False)
    ends: list[int] = field(repr=False)

    @classmethod
    def from_bytes(cls, raw: bytes, *, complete: bool) -> Head:
        """Split bytes into decoded lines."""
        bom = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
        body = raw[bom:]
        _, encoding = decode(body[:SNIFF_BYTES])
        parts = body.split(b"\n", MAX_HEAD_LINES)
        if len(parts) > MAX_HEAD_LINES:
            parts = parts[:MAX_HEAD_LINES]  # the last part holds the rest of the head
            complete = False
        elif not complete and len(parts) > 1:
            parts = parts[:-1]
        # Each line starts after the line feed of the one before; only the last one may end
        # without a line feed (at the end of the head).
        bounds = list(accumulate((len(part) + 1 for part in parts), initial=bom))
        offsets = bounds[:-1]
        ends = bounds[1:]
        if ends and ends[-1] > len(raw):
            ends[-1] = len(raw)
        lines = [part.removesuffix(b"\r").decode(encoding, errors="replace") for part in parts]
        if complete and lines and lines[-1] == "":
            lines.pop()
            offsets.pop()
            ends.pop()
        return cls(raw, complete, bom, encoding, lines, offsets, ends)

    @property
    def first_line(self) -> str:
        """The first line, or an empty string."""
        return self.lines[0] if self.lines else ""

    def find_line(self, predicate, *, start: int = 0, limit: int = 200) -> int | None:  # type: ignore[no-untyped-def]
        """Return the index of the first line (from ``start``) for which ``predicate`` is true."""
        for i in range(start, min(len(self.lines), start + limit)):
            if predicate(self.lines[i]):
                return i
        return None

    def offset_after(self, index: int) -> int:
        """Byte offset just after line ``index`` (where the next line starts)."""
        return self.ends[index]

    def first_data_line(self, header_index: int) -> str | None:
        """Return the first non-empty line after the header line, if the head holds one."""
        for line in self.lines[header_index + 1 :]:
            if line.strip():
                return line
        return None
