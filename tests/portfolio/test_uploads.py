"""Uploads received by `designer_bff.portfolio.uploads`, through a small Starlette app
driven over ASGI: files and zips typed by content, per-file problems reported, hostile
requests refused with nothing left on disk; and `make_variants(strip_metadata=True)`."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zipfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from designer_bff.core.errors import AppError
from designer_bff.media.variants import make_variants
from designer_bff.portfolio.uploads import (
    Intake,
    ReceivedImage,
    UploadLimits,
    receive_portfolio_upload,
    receive_single_image,
)

LIMITS = UploadLimits(max_files=20, max_total_bytes=8 * 1024 * 1024, max_file_bytes=2 * 1024 * 1024)


# -- pictures ---------------------------------------------------------------------------


def picture(fmt: str, size: tuple[int, int] = (96, 64), seed: int = 0, **save: Any) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **save)
    return out.getvalue()


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            if name.endswith("/"):
                z.mkdir(name.rstrip("/"))
            else:
                z.writestr(name, data)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height 1-bit pixels but carries a tiny IDAT: opening
    it is cheap, decoding it would not be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# -- the app under test -------------------------------------------------------------------


def make_app(workdir: Path, limits: UploadLimits = LIMITS) -> Starlette:
    intakes: list[Intake | ReceivedImage] = []

    async def many(request: Request) -> JSONResponse:
        intake = await receive_portfolio_upload(request, limits, workdir)
        intakes.append(intake)
        return JSONResponse(
            {
                "files": [
                    {
                        "filename": f.filename,
                        "format": f.format,
                        "mime": f.mime,
                        "size": f.size_bytes,
                        "sha256": f.sha256,
                        "width": f.width,
                        "height": f.height,
                        "on_disk": f.path.is_file() and f.path.parent == intake.directory,
                        "disk_sha256": hashlib.sha256(f.path.read_bytes()).hexdigest(),
                    }
                    for f in intake.files
                ],
                "errors": [e.__dict__ for e in intake.errors],
            }
        )

    async def one(request: Request) -> JSONResponse:
        image = await receive_single_image(request, limits, workdir)
        intakes.append(image)
        return JSONResponse({"filename": image.filename, "format": image.format})

    async def app_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status_code)

    app = Starlette(
        routes=[Route("/many", many, methods=["POST"]), Route("/one", one, methods=["POST"])],
        exception_handlers={AppError: app_error},
    )
    app.state.intakes = intakes
    return app


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


async def post(
    app: Starlette,
    files: list[tuple[str, bytes]] | None = None,
    path: str = "/many",
    field: str = "files",
    **kwargs: Any,
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        if files is not None:
            kwargs["files"] = [
                (field, (name, data, "application/octet-stream")) for name, data in files
            ]
        return await client.post(path, **kwargs)


def empty(workdir: Path) -> bool:
    return not workdir.exists() or not any(workdir.iterdir())


def left_in(workdir: Path) -> list[Path]:
    return list(workdir.rglob("*"))


def cleanup(app: Starlette) -> None:
    for intake in app.state.intakes:
        intake.cleanup()


# -- accepted uploads -----------------------------------------------------------------------


async def test_many_files_are_typed_hashed_and_kept_on_disk(workdir: Path) -> None:
    uploads = [
        ("look-1.jpg", picture("JPEG", seed=1)),
        ("look-2.png", picture("PNG", (50, 70), seed=2)),
        ("look-3.webp", picture("WEBP", seed=3)),
        ("look-4.avif", picture("AVIF", seed=4)),
    ]
    app = make_app(workdir)
    r = await post(app, uploads)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == []
    got = {f["filename"]: f for f in body["files"]}
    assert [f["filename"] for f in body["files"]] == [name for name, _ in uploads]
    assert [got[n]["format"] for n, _ in uploads] == ["JPEG", "PNG", "WEBP", "AVIF"]
    assert [got[n]["mime"] for n, _ in uploads] == [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/avif",
    ]
    for name, data in uploads:
        assert got[name]["sha256"] == hashlib.sha256(data).hexdigest() == got[name]["disk_sha256"]
        assert got[name]["size"] == len(data)
        assert got[name]["on_disk"]
    assert (got["look-2.png"]["width"], got["look-2.png"]["height"]) == (50, 70)
    assert not empty(workdir)
    cleanup(app)
    assert empty(workdir)


async def test_a_zip_of_images_skipping_folders_and_mac_junk(workdir: Path) -> None:
    archive = zip_of(
        {
            "SS25/": b"",
            "SS25/coat.jpg": picture("JPEG", seed=5),
            "SS25/dress.png": picture("PNG", seed=6),
            "__MACOSX/SS25/._coat.jpg": b"\x00\x05\x16\x07 resource fork",
            "SS25/.DS_Store": b"Bud1 junk",
            "SS25\\sketch.webp": picture("WEBP", seed=7),
        }
    )
    extra = picture("PNG", seed=8)
    app = make_app(workdir)
    r = await post(app, [("ss25.zip", archive), ("extra.png", extra)])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == []
    assert [(f["filename"], f["format"]) for f in body["files"]] == [
        ("coat.jpg", "JPEG"),
        ("dress.png", "PNG"),
        ("sketch.webp", "WEBP"),
        ("extra.png", "PNG"),
    ]
    assert body["files"][1]["sha256"] == hashlib.sha256(picture("PNG", seed=6)).hexdigest()
    assert all(f["on_disk"] and f["sha256"] == f["disk_sha256"] for f in body["files"])
    # Only the images stay: the zip itself was removed once expanded.
    assert len(list(app.state.intakes[0].directory.iterdir())) == 4
    cleanup(app)
    assert empty(workdir)


async def test_type_comes_from_the_bytes_not_the_name(workdir: Path) -> None:
    app = make_app(workdir)
    r = await post(
        app,
        [
            ("really-a-png.jpg", picture("PNG", seed=9)),
            ("notes.png", b"Just some text about the collection, not a picture.\n" * 4),
            ("empty.jpg", b""),
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(f["filename"], f["format"], f["mime"]) for f in body["files"]] == [
        ("really-a-png.jpg", "PNG", "image/png")
    ]
    assert [(e["filename"], e["code"]) for e in body["errors"]] == [
        ("notes.png", "unsupported_type"),
        ("empty.jpg", "unsupported_type"),
    ]
    cleanup(app)


async def test_corrupt_images_are_per_file_errors(workdir: Path) -> None:
    jpeg = picture("JPEG", (400, 300), seed=10)
    png = picture("PNG", (200, 200), seed=11)
    app = make_app(workdir)
    r = await post(
        app,
        [
            ("ok.jpg", picture("JPEG", seed=12)),
            ("cut.jpg", jpeg[: len(jpeg) // 2]),
            ("cut.png", png[: len(png) // 2]),
            ("bad-header.png", png[:20] + b"\x00" * 50),
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["filename"] for f in body["files"]] == ["ok.jpg"]
    assert [(e["filename"], e["code"]) for e in body["errors"]] == [
        ("cut.jpg", "invalid_image"),
        ("cut.png", "invalid_image"),
        ("bad-header.png", "invalid_image"),
    ]
    # Files that cannot be used are deleted at once; the usable one stays.
    assert len(list(app.state.intakes[0].directory.iterdir())) == 1
    cleanup(app)


async def test_decompression_bombs_are_refused_from_the_header(workdir: Path) -> None:
    app = make_app(workdir)
    started = time.perf_counter()
    r = await post(
        app,
        [
            # Past Pillow's own bomb limit (1.6 gigapixels): refused by Image.open.
            ("huge.png", png_header_only(40_000, 40_000)),
            # Under Pillow's limit but over ours (60 MP > 50 MP): our header check.
            ("big.png", png_header_only(10_000, 6_000)),
            ("fine.png", picture("PNG", seed=13)),
        ],
    )
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["filename"] for f in body["files"]] == ["fine.png"]
    assert [(e["filename"], e["code"]) for e in body["errors"]] == [
        ("huge.png", "too_many_pixels"),
        ("big.png", "too_many_pixels"),
    ]
    # 1.6 G pixels would take minutes and gigabytes to decode.
    assert elapsed < 2.0
    cleanup(app)


async def test_a_nested_zip_is_that_files_error(workdir: Path) -> None:
    inner = zip_of({"deep.png": picture("PNG", seed=14)})
    outer = zip_of({"inner.zip": inner, "top.png": picture("PNG", seed=15)})
    app = make_app(workdir)
    r = await post(app, [("outer.zip", outer)])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["filename"] for f in body["files"]] == ["top.png"]
    assert [(e["filename"], e["code"]) for e in body["errors"]] == [("inner.zip", "nested_zip")]
    cleanup(app)


async def test_a_zip_whose_header_understates_a_member_is_not_inflated_past_it(
    workdir: Path,
) -> None:
    real = b"\x00" * (3 * 1024 * 1024)
    archive = bytearray(zip_of({"liar.png": real}))
    # Claim 1000 bytes in both the local and the central header.
    local = archive.find(b"PK\x03\x04")
    central = archive.find(b"PK\x01\x02")
    struct.pack_into("<I", archive, local + 22, 1000)
    struct.pack_into("<I", archive, central + 24, 1000)
    app = make_app(workdir)
    r = await post(app, [("liar.zip", bytes(archive)), ("ok.png", picture("PNG", seed=16))])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["filename"] for f in body["files"]] == ["ok.png"]
    # zipfile stops at the declared size and the CRC then fails: the member is unusable.
    assert [(e["filename"], e["code"]) for e in body["errors"]] == [("liar.png", "invalid_zip")]
    cleanup(app)


async def test_a_zip_without_images_and_a_broken_zip(workdir: Path) -> None:
    junk_only = zip_of({"__MACOSX/._a.png": b"fork", "folder/": b""})
    broken = zip_of({"a.png": picture("PNG", seed=17)})[:-30]
    app = make_app(workdir)
    r = await post(app, [("junk.zip", junk_only), ("broken.zip", broken)])
    assert r.status_code == 200, r.text
    assert [(e["filename"], e["code"]) for e in r.json()["errors"]] == [
        ("junk.zip", "empty_zip"),
        ("broken.zip", "invalid_zip"),
    ]
    cleanup(app)


# -- refused requests: nothing stays on disk ----------------------------------------------


async def refused(
    workdir: Path,
    status: int,
    code: str,
    files: list[tuple[str, bytes]] | None = None,
    limits: UploadLimits = LIMITS,
    path: str = "/many",
    **kwargs: Any,
) -> httpx.Response:
    app = make_app(workdir, limits)
    r = await post(app, files, path=path, **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    assert empty(workdir), left_in(workdir)
    assert app.state.intakes == []
    return r


async def test_a_zip_bomb_is_refused(workdir: Path) -> None:
    bomb = zip_of({"a.png": picture("PNG", seed=18), "bomb.png": b"\x00" * (5 * 1024 * 1024)})
    assert len(bomb) < 50_000
    await refused(workdir, 413, "zip_bomb", [("ok.png", picture("PNG", seed=19)), ("b.zip", bomb)])


async def test_zips_unpacking_past_the_total_are_refused(workdir: Path) -> None:
    # Incompressible members: the ratio is fine, the unpacked total is not.
    members = {f"m{i}.png": np.random.default_rng(i).bytes(1024 * 1024) for i in range(3)}
    archive = zip_of(members, zipfile.ZIP_STORED)
    limits = UploadLimits(
        max_files=20,
        max_total_bytes=8 * 1024 * 1024,
        max_file_bytes=2 * 1024 * 1024,
        max_zip_total_bytes=2 * 1024 * 1024,
    )
    await refused(workdir, 413, "zip_bomb", [("a.zip", archive)], limits=limits)
    # A member over the per-file limit.
    big = zip_of({"big.png": np.random.default_rng(9).bytes(3 * 1024 * 1024)}, zipfile.ZIP_STORED)
    await refused(workdir, 413, "file_too_large", [("b.zip", big)])


@pytest.mark.parametrize(
    "name",
    ["../evil.png", "looks/../../evil.png", "/etc/evil.png", "C:\\evil.png", "..\\evil.png"],
)
async def test_a_zip_member_outside_the_archive_is_unsafe(workdir: Path, name: str) -> None:
    archive = zip_of({"fine.png": picture("PNG", seed=20), name: picture("PNG", seed=21)})
    await refused(workdir, 400, "unsafe_zip", [("evil.zip", archive)])
    assert not (workdir.parent / "evil.png").exists()


async def test_a_symlink_in_a_zip_is_unsafe(workdir: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        link = zipfile.ZipInfo("photo.png")
        link.create_system = 3
        link.external_attr = (0o120777 << 16) & 0xFFFF0000
        z.writestr(link, "/etc/passwd")
    await refused(workdir, 400, "unsafe_zip", [("links.zip", out.getvalue())])


async def test_too_many_files_are_refused(workdir: Path) -> None:
    limits = UploadLimits(max_files=3, max_total_bytes=8 * 1024 * 1024, max_file_bytes=1 << 20)
    small = [(f"{i}.png", picture("PNG", (8, 8), seed=i)) for i in range(4)]
    await refused(workdir, 413, "too_many_files", small, limits=limits)
    # Zip members count as files.
    archive = zip_of({f"{i}.png": picture("PNG", (8, 8), seed=i) for i in range(3)})
    await refused(workdir, 413, "too_many_files", [("a.zip", archive), small[0]], limits=limits)


async def test_bytes_over_the_limits_are_refused(workdir: Path) -> None:
    limits = UploadLimits(max_files=20, max_total_bytes=300_000, max_file_bytes=200_000)
    blob = picture("PNG", (256, 256), seed=22)  # ~197 KB of noise
    assert 150_000 < len(blob) < 200_000
    await refused(
        workdir, 413, "upload_too_large", [("a.png", blob), ("b.png", blob)], limits=limits
    )
    bigger = picture("PNG", (300, 300), seed=23)
    await refused(workdir, 413, "file_too_large", [("big.png", bigger)], limits=limits)


async def test_a_huge_body_is_refused_before_it_is_read(workdir: Path) -> None:
    pulled = 0
    boundary = "b0undary"

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            'filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        for _ in range(1000):  # 64 MB if all of it were read
            pulled += 1
            yield b"\x89" * 65536

    limits = UploadLimits(max_files=5, max_total_bytes=1 << 20, max_file_bytes=1 << 20)
    await refused(
        workdir,
        413,
        "upload_too_large",
        limits=limits,
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    # Stopped at the first chunk over the limit (1 MiB body + 1 MiB slack), not at the end.
    assert pulled < 40
    # A declared Content-Length over the limit is refused without reading the body.
    await refused(
        workdir,
        413,
        "upload_too_large",
        limits=limits,
        content=b"x" * 10,
        headers={
            "content-type": f"multipart/form-data; boundary={boundary}",
            "content-length": str(10 << 20),
        },
    )


async def test_requests_that_are_not_uploads(workdir: Path) -> None:
    await refused(
        workdir,
        415,
        "unsupported_media_type",
        content=b"{}",
        headers={"content-type": "application/json"},
    )
    await refused(workdir, 415, "unsupported_media_type", content=b"raw")
    await refused(
        workdir,
        400,
        "malformed_upload",
        content=b"x",
        headers={"content-type": "multipart/form-data"},
    )
    # Only a form field, no file part.
    only_a_field = (
        b'--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n'
    )
    await refused(
        workdir,
        422,
        "no_files",
        content=only_a_field,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )


async def test_a_cut_off_multipart_body_is_malformed(workdir: Path) -> None:
    request = httpx.Request(
        "POST",
        "http://test/many",
        files=[("files", ("a.png", picture("PNG", seed=24), "image/png"))],
    )
    body = request.read()
    await refused(
        workdir,
        400,
        "malformed_upload",
        content=body[: len(body) - 40],
        headers={"content-type": request.headers["content-type"]},
    )


# -- one image --------------------------------------------------------------------------------


async def test_a_single_image(workdir: Path) -> None:
    app = make_app(workdir)
    r = await post(app, [("look.webp", picture("WEBP", seed=25))], path="/one", field="file")
    assert r.status_code == 200, r.text
    assert r.json() == {"filename": "look.webp", "format": "WEBP"}
    assert not empty(workdir)
    cleanup(app)
    assert empty(workdir)


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("x.png", b"garbage")], 422, "unsupported_type"),
        ([("x.png", picture("PNG", seed=26)[:200])], 422, "invalid_image"),
        ([("x.png", png_header_only(40_000, 40_000))], 422, "too_many_pixels"),
        (
            [("a.png", picture("PNG", seed=27)), ("b.png", picture("PNG", seed=28))],
            422,
            "single_image_expected",
        ),
        ([("a.zip", zip_of({"a.png": picture("PNG", seed=29)}))], 422, "single_image_expected"),
        ([("big.png", picture("PNG", (1000, 1000), seed=30))], 413, "file_too_large"),
    ],
)
async def test_a_single_image_refused(
    workdir: Path, files: list[tuple[str, bytes]], status: int, code: str
) -> None:
    limits = UploadLimits(max_files=20, max_total_bytes=8 << 20, max_file_bytes=1 << 20)
    app = make_app(workdir, limits)
    r = await post(app, files, path="/one", field="file")
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert empty(workdir)


# -- metadata stripped from stored originals ------------------------------------------------


def photo_with_metadata() -> tuple[bytes, Image.Image]:
    """A JPEG stored sideways (EXIF orientation 6) with GPS, a camera, XMP and a comment;
    its stored top-left quarter is red."""
    raw = Image.new("RGB", (120, 80), (20, 40, 200))
    raw.paste((220, 20, 20), (0, 0, 60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 15"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    out = io.BytesIO()
    raw.save(out, "JPEG", quality=92, exif=exif, xmp=xmp, comment=b"shot at home")
    return out.getvalue(), raw


def test_stripped_original_has_no_exif_gps_or_xmp_and_is_upright() -> None:
    data, raw = photo_with_metadata()
    with Image.open(io.BytesIO(data)) as source:
        assert source.getexif().get_ifd(0x8825)[1] == "N"  # the GPS really is there
        assert source.info.get("xmp") and source.info.get("comment")
    v = make_variants(data, strip_metadata=True)
    assert v.original is not None
    assert (v.original.format, v.original.mime) == ("JPEG", "image/jpeg")
    assert (v.original.width, v.original.height) == (80, 120) == (v.width, v.height)
    with Image.open(io.BytesIO(v.original.data)) as stored:
        assert len(stored.getexif()) == 0
        assert stored.getexif().get_ifd(0x8825) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(stored.info)
        assert stored.size == (80, 120)
        # Rotated clockwise: the stored top-left (red) is now the top-right.
        r, g, b = stored.convert("RGB").getpixel((70, 10))  # type: ignore[misc]
        assert r > 180 and g < 60 and b < 60
        r, g, b = stored.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert b > 160 and r < 60
        expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))), dtype=float)
        assert np.abs(np.asarray(stored.convert("RGB"), dtype=float) - expected).mean() < 3.0
    assert b"PhoneMaker" not in v.original.data and b"shot at home" not in v.original.data
    # The preview and thumbnail carry nothing either.
    for encoded in (v.preview, v.thumb):
        with Image.open(io.BytesIO(encoded.data)) as rendition:
            assert not {"exif", "xmp", "icc_profile"} & set(rendition.info)
            assert len(rendition.getexif()) == 0
    assert raw.size == (120, 80)


def test_without_strip_metadata_the_original_bytes_are_kept() -> None:
    data, _ = photo_with_metadata()
    v = make_variants(data)
    assert v.original is not None and v.original.data == data
    for encoded in (v.preview, v.thumb):
        with Image.open(io.BytesIO(encoded.data)) as rendition:
            assert len(rendition.getexif()) == 0


def test_stripping_a_png_drops_text_and_exif_keeps_transparency_and_size() -> None:
    from PIL import PngImagePlugin

    image = Image.fromarray(
        np.random.default_rng(31).integers(0, 255, (50, 70, 4), dtype=np.uint8), "RGBA"
    )
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone@example.com")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta/>")
    exif = Image.Exif()
    exif[0x010F] = "ScannerCo"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif, icc_profile=srgb)
    v = make_variants(out.getvalue(), strip_metadata=True)
    assert v.original is not None and v.original.format == "PNG"
    with Image.open(io.BytesIO(v.original.data)) as stored:
        # No text chunks, no eXIf, and no ICC (sRGB is what viewers assume anyway).
        assert not {"Author", "XML:com.adobe.xmp", "exif", "icc_profile"} & set(stored.info)
        assert len(stored.getexif()) == 0
        assert stored.mode == "RGBA" and stored.size == (70, 50)
        assert np.array_equal(np.asarray(stored), np.asarray(image))  # lossless


def test_a_sideways_png_is_re_encoded_upright_without_its_exif() -> None:
    image = Image.new("RGB", (60, 40), (20, 40, 200))
    image.paste((220, 20, 20), (0, 0, 30, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "ScannerCo"
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif)
    v = make_variants(out.getvalue(), strip_metadata=True)
    assert v.original is not None and v.original.format == "PNG"
    with Image.open(io.BytesIO(v.original.data)) as stored:
        assert stored.size == (40, 60)
        assert len(stored.getexif()) == 0 and "exif" not in stored.info
        expected = ImageOps.exif_transpose(Image.open(io.BytesIO(out.getvalue())))
        assert np.array_equal(np.asarray(stored.convert("RGB")), np.asarray(expected))
    assert b"ScannerCo" not in v.original.data


def test_a_colour_profile_that_matters_is_kept() -> None:
    # Not sRGB: without it the colours would be read wrongly, so it stays.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("XYZ")).tobytes()
    data, _ = photo_with_metadata()
    with Image.open(io.BytesIO(data)) as source:
        out = io.BytesIO()
        source.save(out, "JPEG", quality=92, exif=source.getexif(), icc_profile=profile)
    v = make_variants(out.getvalue(), strip_metadata=True)
    assert v.original is not None
    with Image.open(io.BytesIO(v.original.data)) as stored:
        assert stored.info.get("icc_profile") == profile
        assert len(stored.getexif()) == 0
