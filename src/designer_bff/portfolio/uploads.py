"""Receiving uploaded images: many files or zips of them, streamed to disk, never whole
in memory, and typed by their content, not their names.

The multipart body is parsed incrementally from `request.stream()` (python-multipart);
each file part goes to its own file in a fresh folder under `workdir`, hashed (SHA-256)
and counted as it arrives, and the request is refused as soon as a limit is crossed.
Zips (recognised by their bytes) are expanded member by member with every size counted
while inflating, never trusted from the headers. Each file is then sniffed (magic bytes),
opened by Pillow restricted to that one format, its size checked against `max_pixels`
from the header alone, and decoded (JPEG at 1/8 scale) so that a corrupt file is caught
here.

Two kinds of failure:
- the request as a whole (an AppError; nothing it wrote stays on disk): 415
  `unsupported_media_type`, 400 `malformed_upload` / `unsafe_zip`, 413
  `upload_too_large` / `file_too_large` / `too_many_files` / `zip_bomb`, 422 `no_files`
  (and, for one image, 422 `single_image_expected` and the per-file codes below);
- one file (a FileError in `Intake.errors`, the rest go on): `unsupported_type`,
  `invalid_image`, `too_many_pixels`, `nested_zip` (a zip inside a zip is not
  opened: one level is all a portfolio export needs, and recursion is how zip bombs
  multiply), `invalid_zip` (unreadable zip or member) and `empty_zip` (no files in it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib
import re
import shutil
import struct
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from PIL import Image, UnidentifiedImageError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect, Request

from designer_bff.core.errors import AppError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "FileError",
    "Intake",
    "IntakeFile",
    "MalformedUpload",
    "NoFiles",
    "ReceivedImage",
    "UnsafeZip",
    "UnsupportedMediaType",
    "UnusableImage",
    "UploadLimits",
    "UploadTooLarge",
    "receive_portfolio_upload",
    "receive_single_image",
]

# Bytes of multipart framing (boundaries, part headers) allowed on top of the files'.
_BODY_SLACK = 1024 * 1024
# Bytes kept from the start of each file for sniffing its type (an ftyp box's brands).
_HEAD = 64
# Zip members are inflated in chunks of this size: memory stays flat whatever they hold.
_CHUNK = 1024 * 1024
# Files decoded at once: each holds one decoded image (2 cores here).
_VALIDATE_CONCURRENCY = 2
# A central directory entry is 46 bytes plus name, extra and comment: 1 KiB each on
# average is generous for real exports, and bounds what zipfile loads into memory.
_CENTRAL_DIRECTORY_BYTES_PER_ENTRY = 1024

_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "HEIF": "image/heic",
}
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


# -- limits, results and errors -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one request may bring. Zip limits apply to each request's zips together."""

    max_files: int
    max_total_bytes: int
    max_file_bytes: int
    max_pixels: int = 50_000_000
    # Entries in one zip's central directory, folders and junk included.
    max_zip_members: int = 5_000
    # Uncompressed / compressed, per member; images are compressed already (~1:1), so
    # 100:1 is generous. Members under `zip_ratio_floor_bytes` are not held to it: tiny
    # files compress well and can do no harm.
    max_zip_ratio: float = 100.0
    zip_ratio_floor_bytes: int = 1024 * 1024
    # Uncompressed bytes of all zips together; None: max_total_bytes.
    max_zip_total_bytes: int | None = None
    # Non-file form fields are read and dropped; bounded all the same.
    max_fields: int = 50
    max_field_bytes: int = 64 * 1024

    @property
    def zip_total_bytes(self) -> int:
        return (
            self.max_total_bytes if self.max_zip_total_bytes is None else self.max_zip_total_bytes
        )


@dataclass(frozen=True)
class IntakeFile:
    """One usable image on disk (in the intake's folder until cleanup)."""

    path: Path
    filename: str  # what the designer called it (a zip member's base name)
    mime: str
    format: str  # Pillow's name: JPEG, PNG, WEBP, AVIF (HEIF with pillow-heif)
    size_bytes: int
    sha256: str  # hex digest of the bytes as uploaded
    width: int  # as displayed: EXIF orientation applied
    height: int


@dataclass
class FileError:
    """One file we could not use; the rest of the upload goes on."""

    filename: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"filename": self.filename, "code": self.code, "message": self.message}


@dataclass
class Intake:
    directory: Path
    files: list[IntakeFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)

    def cleanup(self) -> None:
        """Remove every file of this upload (call once the files are stored elsewhere)."""
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class ReceivedImage(IntakeFile):
    """The one image of a single-image upload, with its folder to clean up."""

    directory: Path

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class MalformedUpload(AppError):
    status_code = 400
    code = "malformed_upload"


class UnsafeZip(AppError):
    status_code = 400
    code = "unsafe_zip"


class UploadTooLarge(AppError):
    """413 with code upload_too_large, file_too_large, too_many_files or zip_bomb."""

    status_code = 413
    code = "upload_too_large"


class NoFiles(AppError):
    status_code = 422
    code = "no_files"


class UnusableImage(AppError):
    """The image of a single-image upload cannot be used; `code` says why."""

    status_code = 422
    code = "invalid_image"


# -- the folder of one upload -----------------------------------------------------------


class _Workspace:
    """The upload's private folder. Files are only created through `create`, under a
    lock that `abort` also takes, so a worker thread still running after the request
    was refused (threads cannot be cancelled) cannot leave a file behind."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix="upload-", dir=workdir))
        self._lock = threading.Lock()
        self._aborted = False
        self._count = 0

    def create(self) -> tuple[Path, BinaryIO]:
        with self._lock:
            if self._aborted:
                raise MalformedUpload("The upload was abandoned.")
            self._count += 1
            # Our own names, never the uploaded ones: nothing can point outside.
            path = self.directory / f"{self._count:06d}"
            return path, open(path, "xb")  # the caller closes it

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            shutil.rmtree(self.directory, ignore_errors=True)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _clean_filename(raw: str) -> str:
    name = re.split(r"[\\/]", raw)[-1]
    name = _CONTROL.sub("", name).strip()
    return name[:255] or "upload"


# -- receiving the multipart body ------------------------------------------------------


@dataclass
class _Received:
    """A file as it arrived (a part, or a zip member): not yet known to be usable."""

    path: Path
    filename: str
    size: int
    sha256: str
    head: bytes


# The upload routes' file fields (documented in their OpenAPI bodies).
_FILE_FIELDS = (b"files", b"file")


class _PartReceiver:
    """python-multipart callbacks that write each file part to disk as it arrives,
    hashing and counting it, and refuse the request once a limit is crossed."""

    def __init__(self, workspace: _Workspace, limits: UploadLimits, *, single: bool) -> None:
        self.workspace = workspace
        self.limits = limits
        self.single = single
        self.parts: list[_Received] = []
        self.file_bytes = 0
        self.fields = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._is_file = False
        self._filename = ""
        self._field_bytes = 0
        self._path: Path | None = None
        self._out: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._header_field.clear()
        self._header_value.clear()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition"))
        if disposition != b"form-data":
            raise MalformedUpload("Each part needs a Content-Disposition: form-data header.")
        raw_name = options.get(b"filename")
        if raw_name is None and options.get(b"name") in _FILE_FIELDS:
            # A documented file field sent without a filename is still a file.
            raw_name = options[b"name"]
        self._is_file = raw_name is not None
        if not self._is_file:
            self.fields += 1
            self._field_bytes = 0
            if self.fields > self.limits.max_fields:
                raise MalformedUpload(f"More than {self.limits.max_fields} form fields.")
            return
        assert raw_name is not None
        try:
            # Browsers send UTF-8 names; the parser hands them over as latin-1.
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            name = raw_name.decode("latin-1")
        self._filename = name
        self._path, self._out = self.workspace.create()
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        if not self._is_file:
            self._field_bytes += n
            if self._field_bytes > self.limits.max_field_bytes:
                raise MalformedUpload(f"A form field is over {self.limits.max_field_bytes} bytes.")
            return
        self._size += n
        self.file_bytes += n
        if len(self._head) < _HEAD:
            self._head += data[start : min(end, start + _HEAD - len(self._head))]
        limits = self.limits
        if self.single:
            if self._size > limits.max_file_bytes:
                raise UploadTooLarge(
                    f"The file is over {limits.max_file_bytes} bytes.", code="file_too_large"
                )
        else:
            if self.file_bytes > limits.max_total_bytes:
                raise UploadTooLarge(f"The upload is over {limits.max_total_bytes} bytes.")
            # A zip is held to the total only: it brings many files.
            if self._size > limits.max_file_bytes and not _is_zip(self._head):
                raise UploadTooLarge(
                    f"{_clean_filename(self._filename)} is over {limits.max_file_bytes} bytes.",
                    code="file_too_large",
                )
        chunk = memoryview(data)[start:end]
        self._hash.update(chunk)
        assert self._out is not None
        self._out.write(chunk)

    def _part_end(self) -> None:
        if not self._is_file:
            return
        assert self._out is not None and self._path is not None
        self._out.close()
        self._out = None
        if self._size == 0 and not self._filename:
            # A file input left empty: browsers send a nameless, empty part.
            _discard(self._path)
            return
        self.parts.append(
            _Received(
                path=self._path,
                filename=_clean_filename(self._filename),
                size=self._size,
                sha256=self._hash.hexdigest(),
                head=self._head,
            )
        )
        if self.single and len(self.parts) > 1:
            raise UnusableImage(
                "Send one image, in the field `file`.", code="single_image_expected"
            )
        if not self.single and len(self.parts) > self.limits.max_files:
            raise UploadTooLarge(f"More than {self.limits.max_files} files.", code="too_many_files")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise UnsupportedMediaType("Send the files as multipart/form-data.")
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise MalformedUpload("The multipart body has no usable boundary.")
    return boundary


def _too_large(limits: UploadLimits, *, single: bool) -> UploadTooLarge:
    if single:
        return UploadTooLarge(
            f"The file is over {limits.max_file_bytes} bytes.", code="file_too_large"
        )
    return UploadTooLarge(f"The upload is over {limits.max_total_bytes} bytes.")


async def _receive_parts(
    request: Request, limits: UploadLimits, workspace: _Workspace, *, single: bool
) -> list[_Received]:
    boundary = _boundary(request)
    body_limit = (limits.max_file_bytes if single else limits.max_total_bytes) + _BODY_SLACK
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise MalformedUpload("Content-Length is not a number.") from None
        if declared_size > body_limit:
            raise _too_large(limits, single=single)  # before reading a byte
    receiver = _PartReceiver(workspace, limits, single=single)
    parser = MultipartParser(boundary, receiver.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            received += len(chunk)
            if received > body_limit:
                raise _too_large(limits, single=single)
            # Parsing, hashing and writing: off the event loop.
            await asyncio.to_thread(parser.write, chunk)
    except MultipartParseError as exc:
        raise MalformedUpload(f"The multipart body is malformed: {exc}") from None
    except ClientDisconnect:
        raise MalformedUpload("The upload was cut off.") from None
    finally:
        receiver.close()
    if parser.state != MultipartState.END:
        raise MalformedUpload("The multipart body ended before its closing boundary.")
    if not receiver.parts:
        raise NoFiles("The request has no files.")
    return receiver.parts


# -- zips -------------------------------------------------------------------------------


def _is_zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def _central_directory(fp: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory, read from its end record before
    zipfile loads it whole."""
    fp.seek(0, 2)
    size = fp.tell()
    tail_len = min(size, _EOCD.size + 0xFFFF)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + _EOCD.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, pos)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        loc = pos - _ZIP64_LOCATOR.size
        if loc < 0:
            raise zipfile.BadZipFile("zip64 locator missing")
        sig, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, loc)
        if sig != b"PK\x06\x07":
            raise zipfile.BadZipFile("zip64 locator missing")
        fp.seek(offset)
        record = fp.read(_ZIP64_EOCD.size)
        if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
            raise zipfile.BadZipFile("zip64 end record missing")
        fields = _ZIP64_EOCD.unpack(record)
        entries, cd_size = fields[7], fields[8]
    return int(entries), int(cd_size)


def _member_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\\/]", name) if p]


def _check_member(info: zipfile.ZipInfo, zip_name: str) -> None:
    """Refuse the whole zip for a member that points outside it."""
    name = info.orig_filename
    if (
        name.startswith(("/", "\\"))
        or _DRIVE.match(name)
        or ".." in _member_parts(name)
        or "\x00" in name
    ):
        raise UnsafeZip(f"{zip_name}: the member {name!r} points outside the archive.")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise UnsafeZip(f"{zip_name}: the member {name!r} is a symbolic link.")


def _is_junk(name: str) -> bool:
    parts = _member_parts(name)
    if not parts:
        return True
    if any(p == "__MACOSX" for p in parts):
        return True
    base = parts[-1]
    return base.startswith(".") or base.lower() in _JUNK_NAMES


class _ZipBudget:
    """What the request's zips have used so far, across all of them."""

    def __init__(self, limits: UploadLimits, direct_files: int) -> None:
        self.limits = limits
        self.files = direct_files
        self.uncompressed = 0

    def add_files(self, n: int) -> None:
        self.files += n
        if self.files > self.limits.max_files:
            raise UploadTooLarge(
                f"More than {self.limits.max_files} files (zip members included).",
                code="too_many_files",
            )


def _zip_bomb(message: str) -> UploadTooLarge:
    return UploadTooLarge(message, code="zip_bomb")


def _expand_zip(
    part: _Received, workspace: _Workspace, limits: UploadLimits, budget: _ZipBudget
) -> list[_Received | FileError]:
    """Each usable member of the zip as a file on disk (or why not), in archive order.
    Unsafe or oversized zips refuse the request; the zip itself is then deleted."""
    out: list[_Received | FileError] = []
    try:
        with open(part.path, "rb") as fp:
            try:
                entries, cd_bytes = _central_directory(fp)
                if (
                    entries > limits.max_zip_members
                    or cd_bytes > limits.max_zip_members * _CENTRAL_DIRECTORY_BYTES_PER_ENTRY
                ):
                    raise _zip_bomb(
                        f"{part.filename} has {entries} entries, more than "
                        f"{limits.max_zip_members}."
                    )
                archive = zipfile.ZipFile(fp)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
                return [
                    FileError(part.filename, "invalid_zip", f"{part.filename}: not a readable zip.")
                ]
            with archive:
                infos = archive.infolist()
                if len(infos) > limits.max_zip_members:
                    raise _zip_bomb(
                        f"{part.filename} has more than {limits.max_zip_members} entries."
                    )
                for info in infos:
                    _check_member(info, part.filename)
                members = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]
                if not members:
                    return [
                        FileError(part.filename, "empty_zip", f"{part.filename} holds no files.")
                    ]
                budget.add_files(len(members))
                _check_declared(part.filename, members, limits, budget)
                for info in members:
                    out.append(_extract(archive, info, part.filename, workspace, limits, budget))
    finally:
        _discard(part.path)
    return out


def _check_declared(
    zip_name: str, members: list[zipfile.ZipInfo], limits: UploadLimits, budget: _ZipBudget
) -> None:
    """Refuse on what the headers claim, before inflating anything."""
    total = budget.uncompressed
    for info in members:
        name = info.filename
        if info.file_size > limits.zip_ratio_floor_bytes and info.file_size > (
            limits.max_zip_ratio * max(info.compress_size, 1)
        ):
            raise _zip_bomb(f"{zip_name}: {name} compresses more than {limits.max_zip_ratio:g}:1.")
        if info.file_size > limits.max_file_bytes:
            raise UploadTooLarge(
                f"{zip_name}: {name} is over {limits.max_file_bytes} bytes.", code="file_too_large"
            )
        total += info.file_size
    if total > limits.zip_total_bytes:
        raise _zip_bomb(f"{zip_name} unpacks to more than {limits.zip_total_bytes} bytes.")


def _extract(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    zip_name: str,
    workspace: _Workspace,
    limits: UploadLimits,
    budget: _ZipBudget,
) -> _Received | FileError:
    filename = _clean_filename(info.filename)
    if info.flag_bits & 0x1:
        return FileError(filename, "unsupported_type", f"{filename}: encrypted in {zip_name}.")
    path, out = workspace.create()
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with out, archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                # Counted as inflated: the headers may lie about any of it.
                size += len(chunk)
                budget.uncompressed += len(chunk)
                if size > limits.max_file_bytes:
                    raise UploadTooLarge(
                        f"{zip_name}: {filename} is over {limits.max_file_bytes} bytes.",
                        code="file_too_large",
                    )
                if size > info.file_size or (
                    size > limits.zip_ratio_floor_bytes
                    and size > limits.max_zip_ratio * max(info.compress_size, 1)
                ):
                    raise _zip_bomb(f"{zip_name}: {filename} inflates past what it declares.")
                if budget.uncompressed > limits.zip_total_bytes:
                    raise _zip_bomb(
                        f"{zip_name} unpacks to more than {limits.zip_total_bytes} bytes."
                    )
                if not head:
                    head = chunk[:_HEAD]
                    if _is_zip(head):
                        _discard(path)
                        return FileError(
                            filename, "nested_zip", f"{filename}: a zip inside {zip_name}."
                        )
                digest.update(chunk)
                out.write(chunk)
    except NotImplementedError:
        _discard(path)
        return FileError(
            filename, "unsupported_type", f"{filename}: compressed in a way we cannot read."
        )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as exc:
        _discard(path)
        return FileError(filename, "invalid_zip", f"{filename}: unreadable in {zip_name} ({exc}).")
    return _Received(path=path, filename=filename, size=size, sha256=digest.hexdigest(), head=head)


# -- images -----------------------------------------------------------------------------


@functools.cache
def _heif_format() -> str | None:
    """HEIF/HEIC where the pillow-heif plugin imports (a dependency; its wheels bring
    libheif, but a build without it still runs, refusing HEIC plainly)."""
    try:
        plugin = importlib.import_module("pillow_heif")
    except ImportError:
        return None
    plugin.register_heif_opener()
    return "HEIF"


@functools.cache
def _register_plugins() -> None:
    # Image.open(formats=...) needs the plugin registered; preinit() loads only a few.
    Image.init()


def _sniff(head: bytes) -> str | None:
    """Pillow's format name from the first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        box = int.from_bytes(head[:4], "big")
        end = min(max(box, 16), len(head))
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


def _inspect(item: _Received, max_pixels: int) -> IntakeFile | FileError:
    """Type by content, size from the header, then a (reduced) decode; runs in a thread."""
    name = item.filename

    def error(code: str, message: str) -> FileError:
        _discard(item.path)
        return FileError(name, code, f"{name}: {message}")

    if item.size == 0:
        return error("unsupported_type", "the file is empty.")
    kind = _sniff(item.head)
    if kind is None:
        return error("unsupported_type", "not a JPEG, PNG, WebP, AVIF or HEIC image.")
    if kind == "HEIF" and _heif_format() is None:
        return error("unsupported_type", "HEIC/HEIF is not supported; export it as JPEG.")
    _register_plugins()
    if kind not in Image.OPEN:
        return error("unsupported_type", f"{kind} images are not supported here.")
    try:
        with Image.open(item.path, formats=(kind,)) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                return error("invalid_image", "the image has no pixels.")
            if width * height > max_pixels:
                # From the header alone: the pixels are never decoded.
                return error(
                    "too_many_pixels",
                    f"{width}x{height} is more than {max_pixels} pixels.",
                )
            fmt = "JPEG" if image.format in ("JPEG", "MPO") else (image.format or kind)
            orientation = _orientation(image)
            if fmt == "JPEG":
                # libjpeg decodes at 1/8 scale: still every byte, an eighth of the pixels.
                image.draft(None, (1, 1))
            image.load()
    except Image.DecompressionBombError as exc:
        return error("too_many_pixels", str(exc))
    except UnidentifiedImageError:
        return error("invalid_image", f"not a readable {kind} image.")
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as exc:
        return error("invalid_image", f"corrupt or truncated ({exc}).")
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return IntakeFile(
        path=item.path,
        filename=name,
        mime=_MIME.get(fmt, "application/octet-stream"),
        format=fmt,
        size_bytes=item.size,
        sha256=item.sha256,
        width=width,
        height=height,
    )


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block does not make the picture unusable
        return 1
    return value if isinstance(value, int) else 1


async def _inspect_all(
    items: list[_Received | FileError], max_pixels: int
) -> list[IntakeFile | FileError]:
    gate = asyncio.Semaphore(_VALIDATE_CONCURRENCY)

    async def one(item: _Received | FileError) -> IntakeFile | FileError:
        if isinstance(item, FileError):
            return item
        async with gate:
            return await asyncio.to_thread(_inspect, item, max_pixels)

    return list(await asyncio.gather(*(one(i) for i in items)))


# -- the two entry points ----------------------------------------------------------------


async def receive_portfolio_upload(request: Request, limits: UploadLimits, workdir: Path) -> Intake:
    """Receive many images and zips of images (multipart/form-data, any field name).

    Returns the usable images and a FileError per file that is not; raises an AppError
    (having removed everything it wrote) when the request as a whole is refused. The
    caller owns the returned intake's folder: call `cleanup()` when done.
    """
    workspace = _Workspace(workdir)
    try:
        parts = await _receive_parts(request, limits, workspace, single=False)
    except BaseException:
        workspace.abort()
        raise
    return await _intake(parts, limits, workspace)


async def _intake(parts: list[_Received], limits: UploadLimits, workspace: _Workspace) -> Intake:
    """Zips expanded and every file checked, as one upload (the workspace is removed
    when the upload as a whole is refused)."""
    try:
        direct = [p for p in parts if not _is_zip(p.head)]
        budget = _ZipBudget(limits, len(direct))
        items: list[_Received | FileError] = []
        for part in parts:
            if _is_zip(part.head):
                items.extend(await asyncio.to_thread(_expand_zip, part, workspace, limits, budget))
            else:
                items.append(part)
        results = await _inspect_all(items, limits.max_pixels)
    except BaseException:
        workspace.abort()
        raise
    intake = Intake(directory=workspace.directory)
    for result in results:
        if isinstance(result, FileError):
            intake.errors.append(result)
        else:
            intake.files.append(result)
    return intake


def _copy_in(source: Path, workspace: _Workspace, limits: UploadLimits, before: int) -> _Received:
    """A file from disk into the workspace, hashed and counted as an uploaded part is
    (`before`: bytes of the files taken in before it)."""
    path, out = workspace.create()
    digest = hashlib.sha256()
    size = 0
    head = b""
    with out, open(source, "rb") as fp:
        while chunk := fp.read(1024 * 1024):
            if not head:
                head = chunk[:_HEAD]
            size += len(chunk)
            if size > limits.max_file_bytes and not _is_zip(head):
                raise UploadTooLarge(
                    f"{source.name} is larger than {limits.max_file_bytes} bytes.",
                    code="file_too_large",
                )
            if before + size > limits.max_total_bytes:
                raise UploadTooLarge(f"The files are over {limits.max_total_bytes} bytes.")
            digest.update(chunk)
            out.write(chunk)
    return _Received(
        path=path,
        filename=_clean_filename(source.name),
        size=size,
        sha256=digest.hexdigest(),
        head=head,
    )


async def intake_from_paths(paths: list[Path], limits: UploadLimits, workdir: Path) -> Intake:
    """Files on disk (images and zips) taken in as one upload would be: the same types,
    limits and checks (the command line's portfolio import). Call `cleanup()` when done."""
    if len(paths) > limits.max_files:
        raise UploadTooLarge(f"More than {limits.max_files} files.", code="too_many_files")
    workspace = _Workspace(workdir)
    try:
        parts: list[_Received] = []
        for p in paths:
            parts.append(
                await asyncio.to_thread(_copy_in, p, workspace, limits, sum(x.size for x in parts))
            )
    except BaseException:
        workspace.abort()
        raise
    return await _intake(parts, limits, workspace)


async def receive_single_image(
    request: Request, limits: UploadLimits, workdir: Path
) -> ReceivedImage:
    """Receive exactly one image (a file part, normally the field `file`).

    Raises UnusableImage (422, code `single_image_expected`, `unsupported_type`,
    `invalid_image` or `too_many_pixels`) when it is not one usable image, and the
    request-level errors of `receive_portfolio_upload`. Call `cleanup()` when done.
    """
    workspace = _Workspace(workdir)
    try:
        parts = await _receive_parts(request, limits, workspace, single=True)
        part = parts[0]
        if _is_zip(part.head):
            raise UnusableImage("Send one image, not a zip.", code="single_image_expected")
        result = await asyncio.to_thread(_inspect, part, limits.max_pixels)
        if isinstance(result, FileError):
            raise UnusableImage(result.message, code=result.code)
    except BaseException:
        workspace.abort()
        raise
    return ReceivedImage(
        path=result.path,
        filename=result.filename,
        mime=result.mime,
        format=result.format,
        size_bytes=result.size_bytes,
        sha256=result.sha256,
        width=result.width,
        height=result.height,
        directory=workspace.directory,
    )
