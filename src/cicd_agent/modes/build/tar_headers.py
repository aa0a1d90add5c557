"""Tar headers read as the container tools read them, so the image's files are the ones a
runtime unpacks: buildah's storage and containerd read layers with Go's ``archive/tar``.

Python's :mod:`tarfile` and Go's reader disagree on a few header bytes, and a layer written by
hand (a ``base-image``, an image a ``FROM`` line pulls) can use each to show this reader other
files than a runtime sees. :class:`RuntimeHeader`, given to :func:`tarfile.open`, reads them as
Go does, or refuses the layer where Go would not read it either:

- a numeric field is read as Go reads it (surrounding spaces and NULs dropped first, then cut at
  the first NUL): Python cut ``"\\x000001000"`` at its NUL, a size of 0 where Go reads 512, and
  read the file's bytes as the next headers; a field the two read differently is refused;
- a header Python finds invalid after the first (a checksum Go reads another way) is refused,
  where Python ended the archive there in silence and every later file went unread;
- the ``prefix`` field is a name's first part only where Go takes it as one (a ``ustar`` header,
  or a GNU one whose times do not read as numbers): Python put any bytes there before the name;
- a global PAX header is left out, as buildah's storage and containerd leave it out (Python
  applied its ``path`` and ``size`` to every later member);
- a long name, link or PAX header of more than :data:`SPECIAL_LIMIT` bytes (Go's own bound) and
  an old GNU sparse member are refused before Python reads them into memory;
- a PAX record with an empty value keeps the header's own field, as Go keeps it (Python named
  the file ``""`` and the reader left it out); a name or link with a NUL is refused, as Go
  refuses it;
- two headers of one kind for one member (two PAX headers, two long names), or a PAX header
  before a GNU long name, are refused: Python takes the first, Go the last;
- a size below 0 on a member with bytes (a base-256 field, a PAX ``size`` of ``-1536``) is
  refused, as Go refuses it: Python stepped back by it and read the same headers again until
  the image's bound on files, minutes for a layer of 3 KB; a PAX ``size``, ``uid`` or ``gid``
  that is not a decimal number Go reads (``1_0``, or a space before it) is refused, where Python
  read it as another number or 0, and a checksum in base-256, which Go does not read;
- a PAX GNU sparse record (``GNU.sparse.*``) is refused: Python applied a lone
  ``GNU.sparse.name``, ``size`` or ``realsize`` that Go leaves aside (another name, a file of
  NULs, a file cut short), found a sparse map's entries inside other records' values, and
  stopped the mode on a map that is not numbers; a Solaris PAX header (type ``X``), whose
  records Python applied to the next member, is refused: Go reads it as a member of a type
  umoci refuses to unpack;
- an old-style member (typeflag NUL) that one reader takes for a folder and the other for a
  file is refused: Python reads a name ending in ``/`` on the header's own name field, Go on
  the name a PAX ``path`` or GNU long name gives it, and a folder has no bytes where a file's
  follow (Python read a status file's header as a file's bytes, which Go unpacked).
"""

from __future__ import annotations

import re
import tarfile
from typing import Any, Self

SPECIAL_LIMIT = 1 << 20
"""The most bytes of a long name, long link or PAX header (Go's ``maxSpecialFileSize``)."""
SPECIAL = frozenset(
    {
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    }
)
IGNORED = b"global"
"""The type a global PAX header is given: not one tarfile knows, so its bytes are skipped and
its records applied to no member; the layer reader leaves it out."""
NUMERIC = ((100, 108), (108, 116), (116, 124), (124, 136), (136, 148), (148, 156))
"""Mode, uid, gid, size, mtime and checksum: the numeric fields of every header."""
_OCTAL = re.compile(rb"[0-7]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+")
"""A PAX number as Go's ``strconv.ParseInt`` reads it in base 10 (Python's ``int`` also takes
spaces around it, ``_`` between digits and digits of other scripts)."""
HEADER_ONLY = frozenset(
    {
        tarfile.LNKTYPE,
        tarfile.SYMTYPE,
        tarfile.CHRTYPE,
        tarfile.BLKTYPE,
        tarfile.DIRTYPE,
        tarfile.FIFOTYPE,
    }
)
"""The types whose size says no bytes follow (Go's ``isHeaderOnlyType``): a size below 0 on any
other is refused."""
CHECKSUM = NUMERIC[-1]
LONG_NAME = tarfile.GNUTYPE_LONGNAME


def _go_octal(field: bytes) -> int | None:
    """A numeric field in octal as Go's ``parseOctal`` reads it (surrounding spaces and NULs
    dropped, then cut at the first NUL); None where Go refuses it."""
    digits = field.strip(b" \x00").split(b"\x00", 1)[0]
    if not digits:
        return 0
    return int(digits, 8) if _OCTAL.fullmatch(digits) else None


def _go_reads(field: bytes) -> bool:
    """Whether Go reads the field as a number (base-256, its first bit set, or octal)."""
    return bool(field[0] & 0x80) or _go_octal(field) is not None


def _text(field: bytes, encoding: str, errors: str) -> str:
    return field.split(b"\x00", 1)[0].decode(encoding, errors)


def _go_prefix(buf: bytes, encoding: str, errors: str) -> str:
    """The name's first part as Go reads the header: ``ustar``'s prefix (star's is shorter); a
    GNU header's only when its access or change time does not read as a number (what Go
    writers before 1.8 wrote there) and it is ASCII; a V7 header has none."""
    magic, version = buf[257:263], buf[263:265]
    if magic == b"ustar\x00":
        star = buf[508:512] == b"tar\x00"
        return _text(buf[345:476] if star else buf[345:500], encoding, errors)
    if (magic, version) == (b"ustar ", b" \x00"):
        times = (buf[345:357], buf[357:369])
        if all(field[0] == 0 or _go_reads(field) for field in times):
            return ""
        prefix = buf[345:500].split(b"\x00", 1)[0]
        return prefix.decode("ascii") if prefix.isascii() else ""
    return ""


class RuntimeHeader(tarfile.TarInfo):
    """A header read as Go's ``archive/tar`` reads it, or refused (:class:`tarfile.ReadError`)."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        buf = bytes(buf)
        if len(buf) != tarfile.BLOCKSIZE or not buf.strip(b"\x00"):
            return super().frombuf(buf, encoding, errors)  # the archive's end: tarfile's to say
        try:
            header = super().frombuf(buf, encoding, errors)
        except tarfile.HeaderError as exc:  # a whole block that is no header: invalid
            raise tarfile.ReadError(f"a header cannot be read ({exc})") from None
        name = _text(buf[0:100], encoding, errors)
        read = (header.mode, header.uid, header.gid, header.size, header.mtime, header.chksum)
        for (start, end), value in zip(NUMERIC, read, strict=True):
            field = buf[start:end]
            octal = not field[0] & 0x80 or (start, end) == CHECKSUM  # Go reads no base-256 one
            if octal and _go_octal(field) != value:
                raise tarfile.ReadError(f"the header of {name[:100]!r} reads two ways")
        _sized(header)
        if header.type in SPECIAL and header.size > SPECIAL_LIMIT:
            raise tarfile.ReadError(
                f"a header of {header.size} bytes; a runtime reads at most {SPECIAL_LIMIT}"
            )
        if header.type == tarfile.GNUTYPE_SPARSE:
            raise tarfile.ReadError(f"{name[:100]!r} is an old GNU sparse member; not read")
        if header.type == tarfile.SOLARIS_XHDTYPE:  # Go's is a member of a type runtimes refuse
            raise tarfile.ReadError(f"{name[:100]!r} is a Solaris PAX header; not read")
        if header.type not in tarfile.GNU_TYPES:
            prefix = _go_prefix(buf, encoding, errors)
            whole = f"{prefix}/{name}" if prefix else name
            header.name = whole.rstrip("/") if header.isdir() else whole
            if buf[156:157] == b"\x00":  # Go's folder or file as its name ends, once named
                header.__dict__["_go_folder"] = whole.endswith("/")
                _one_type(header)
        if header.type == tarfile.XGLTYPE:
            header.type = IGNORED
        return header

    def _proc_gnulong(self, archive: tarfile.TarFile) -> RuntimeHeader:
        """A GNU long name or link and the member it names, as tarfile reads them, the long
        name's last ``/`` seen before tarfile drops it from a folder's (:func:`_one_type`)."""
        data = archive.fileobj.read(self._block(self.size))  # type: ignore[attr-defined]
        try:
            member = self.fromtarfile(archive)
        except tarfile.HeaderError as exc:
            raise tarfile.SubsequentHeaderError(str(exc)) from None  # type: ignore[attr-defined]
        member.offset = self.offset
        text = tarfile.nts(data, archive.encoding, archive.errors)  # type: ignore[attr-defined]
        if self.type != LONG_NAME:
            member.linkname = text
        else:
            member.name = text
            if "_go_folder" in member.__dict__:
                member.__dict__["_go_folder"] = text.endswith("/")
                _one_type(member)
        if member.isdir():
            member.name = member.name.removesuffix("/")
        return self._one_of_a_kind(member)

    def _proc_pax(self, tarfile: tarfile.TarFile) -> RuntimeHeader:
        return self._one_of_a_kind(super()._proc_pax(tarfile))  # type: ignore[misc]

    def _one_of_a_kind(self, member: RuntimeHeader) -> RuntimeHeader:
        """``member`` with this header's kind noted; refused where a header of its kind, or
        a GNU long one under a PAX header, came between (Python and Go would name it apart)."""
        before: set[bytes] = member.__dict__.setdefault("_headers", set())
        gnu = {tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
        if self.type in before or (self.type == tarfile.XHDTYPE and before & gnu):
            raise tarfile.ReadError(f"{member.name[:100]!r} has two headers for one name")
        before.add(self.type)
        return member

    def _apply_pax_info(self, pax_headers: dict[str, str], encoding: str, errors: str) -> Any:
        if any("\x00" in pax_headers.get(key, "") for key in ("path", "linkpath")):
            raise tarfile.ReadError("a PAX name holds a NUL; a runtime does not read it")
        kept = {key: value for key, value in pax_headers.items() if value}
        if any(key.startswith("GNU.sparse.") for key in kept):
            raise tarfile.ReadError(f"{self.name[:100]!r} has GNU sparse records; not read")
        if any(not _DECIMAL.fullmatch(kept.get(key, "0")) for key in ("size", "uid", "gid")):
            raise tarfile.ReadError(f"{self.name[:100]!r} has a PAX number a runtime does not read")
        applied = super()._apply_pax_info(kept, encoding, errors)  # type: ignore[misc]
        _sized(self)
        if "path" in kept and "_go_folder" in self.__dict__:
            self.__dict__["_go_folder"] = kept["path"].endswith("/")
            _one_type(self)
        return applied

    def _proc_sparse(self, member: tarfile.TarInfo, *_: object) -> None:
        """A PAX GNU sparse member, refused before Python reads its map (see the module)."""
        raise tarfile.ReadError(f"{member.name[:100]!r} is a GNU sparse member; not read")

    _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_sparse


def _one_type(header: tarfile.TarInfo) -> None:
    """Refuses an old-style member (typeflag NUL) that Go takes for a folder and Python for a
    file, or the other way: both read a name ending in ``/`` as a folder, Python that of the
    header's own name field, Go the name the member finally bears (a PAX ``path``, a GNU long
    name). A folder has no bytes and a file does: one reader would read as headers what the
    other reads as the file's bytes."""
    if header.__dict__["_go_folder"] != header.isdir():
        raise tarfile.ReadError(f"the type of {header.name[:100]!r} reads two ways")


def _sized(header: tarfile.TarInfo) -> None:
    """Refuses a size below 0 or past Go's 63 bits on a member whose bytes follow its header."""
    if header.type not in HEADER_ONLY and not 0 <= header.size < 1 << 63:
        raise tarfile.ReadError(
            f"{header.name[:100]!r} has a size of {header.size}; a runtime does not read it"
        )
