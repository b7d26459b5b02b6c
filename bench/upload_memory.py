"""Memory and speed of a large portfolio upload through `receive_portfolio_upload`.

Usage:  .venv/bin/python bench/upload_memory.py [--mb 500] [--file-mb 5] [--zip]

Writes a multipart body of about `--mb` MB to a temporary folder (noise JPEGs of about
`--file-mb` MB each, one picture made once with a different comment per copy, so every
file hashes differently; with `--zip`, all of them in one stored zip), then sends it
with curl (a separate process, streaming the file) to a Starlette app served by uvicorn
on 127.0.0.1 in this process. The app receives it (streamed to disk, hashed, zip
expanded, each image typed and decoded at reduced scale) and cleans up.

With `--service`, the body goes to the whole service instead (`POST /api/portfolio`
of the embedded app, signed in): received, stored with variants (metadata stripped) and
analysed by the local analyzer; the peak then covers the request and every analysis.

Prints the process's peak RSS growth over its level after a small warm-up upload
(sampled from /proc/self/status every 5 ms) and the throughput. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
from _common import free_port
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from designer_bff.core.errors import AppError
from designer_bff.portfolio.uploads import UploadLimits, receive_portfolio_upload

BOUNDARY = "benchboundary7f3a9c"
CHUNK = 64 * 1024
MB = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class RssSampler:
    """The highest RSS seen since `reset`, sampled in a thread (the GIL is released by
    the I/O, hashing and decoding that an upload does, so samples keep coming)."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def reset(self) -> None:
        self.peak = rss_bytes()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def noise_jpeg(target_bytes: int) -> bytes:
    """A JPEG of random pixels of about target_bytes (noise does not compress)."""
    side = 512
    probe = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(
        probe, "JPEG", quality=95
    )
    per_pixel = len(probe.getvalue()) / (side * side)
    side = max(64, int((target_bytes / per_pixel) ** 0.5))
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(
        out, "JPEG", quality=95
    )
    return out.getvalue()


def with_comment(jpeg: bytes, index: int) -> bytes:
    """The same picture with a COM segment after SOI: other bytes, still a valid JPEG."""
    text = f"copy {index}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def part_header(name: str, mime: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: {mime}\r\n\r\n"
    ).encode()


def write_body(path: Path, total_mb: int, file_mb: float, as_zip: bool) -> tuple[int, int]:
    """(number of images, bytes of body) written to `path`."""
    picture = noise_jpeg(int(file_mb * MB))
    count = max(1, round(total_mb * MB / len(picture)))
    with open(path, "wb") as body:
        if as_zip:
            body.write(part_header("portfolio.zip", "application/zip"))
            # Stored: JPEGs do not deflate, and the zip is written straight into the body.
            with zipfile.ZipFile(body, "w", zipfile.ZIP_STORED) as archive:
                for i in range(count):
                    archive.writestr(f"portfolio/look-{i:04d}.jpg", with_comment(picture, i))
            body.write(b"\r\n")
        else:
            for i in range(count):
                body.write(part_header(f"look-{i:04d}.jpg", "image/jpeg"))
                body.write(with_comment(picture, i))
                body.write(b"\r\n")
        body.write(f"--{BOUNDARY}--\r\n".encode())
    return count, path.stat().st_size


def make_app(workdir: Path, limits: UploadLimits) -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        intake = await receive_portfolio_upload(request, limits, workdir)
        try:
            return JSONResponse(
                {
                    "files": len(intake.files),
                    "errors": [e.__dict__ for e in intake.errors][:5],
                    "bytes": sum(f.size_bytes for f in intake.files),
                }
            )
        finally:
            await asyncio.to_thread(intake.cleanup)

    async def app_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status_code)

    return Starlette(
        routes=[Route("/upload", upload, methods=["POST"])],
        exception_handlers={AppError: app_error},
    )


async def send(url: str, body: Path, token: str | None = None) -> tuple[float, str]:
    """POST the body file with curl, streamed from disk: (seconds, response text)."""
    started = time.perf_counter()
    auth = ["-H", f"Authorization: Bearer {token}"] if token else []
    proc = await asyncio.create_subprocess_exec(
        "curl",
        "--silent",
        "--show-error",
        "--max-time",
        "600",
        "-X",
        "POST",
        *auth,
        "-H",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        "-H",
        "Expect:",
        "-T",
        str(body),
        url,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await proc.communicate()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"curl failed ({proc.returncode}): {err.decode(errors='replace')}")
    return elapsed, out.decode(errors="replace")


async def run(args: argparse.Namespace, scratch: Path) -> None:
    workdir = scratch / "uploads"
    limits = UploadLimits(
        max_files=max(500, args.mb * 2),
        max_total_bytes=(args.mb + 64) * MB,
        max_file_bytes=100 * MB,
    )
    print("writing the bodies...", flush=True)
    started = time.perf_counter()
    warm_body = scratch / "warm.body"
    warm_count, _ = write_body(warm_body, 1, 0.3, args.zip)
    body = scratch / "big.body"
    count, size = write_body(body, args.mb, args.file_mb, args.zip)
    print(
        f"  {count} JPEGs{' in one zip' if args.zip else ''}, body {size / MB:.0f} MB, "
        f"written in {time.perf_counter() - started:.1f} s"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    services = None
    if args.service:
        app, services = await asyncio.to_thread(service_app, scratch, args.mb)
        workdir = services.settings.data_dir / "uploads"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        url = f"{base}/api/portfolio"
    else:
        config = uvicorn.Config(
            make_app(workdir, limits),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
        url = f"{base}/upload"
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    token = await sign_up(base) if args.service else None
    sampler = RssSampler()
    sampler.start()
    try:
        _, warm = await send(url, warm_body, token)
        if token:
            await analysed(base, token, warm_count)
        print(f"  warm-up: {warm[:160]}")
        baseline = rss_bytes()
        sampler.reset()
        elapsed, answer = await send(url, body, token)
        if token:
            waited = time.perf_counter()
            done = await analysed(base, token, warm_count + count) - warm_count
            print(f"  {done} images analysed {time.perf_counter() - waited:.1f} s after the answer")
        peak = sampler.peak
    finally:
        sampler.stop()
        server.should_exit = True
        await serving
        if services is not None:
            await services.close()
    growth = max(0, peak - baseline)
    print(f"  answer: {answer[:300]}")
    print(f"  baseline RSS {baseline / MB:.0f} MB, peak {peak / MB:.0f} MB")
    print(f"  {size / MB / elapsed:.0f} MB/s: {size / MB:.0f} MB in {elapsed:.1f} s")
    print(f"peak RSS growth: {growth / MB:.0f} MB for {size / MB:.0f} MB uploaded")
    left = list(workdir.iterdir()) if workdir.exists() else []
    print(f"  left in the upload folder afterwards: {len(left)}")


def service_app(scratch: Path, mb: int) -> tuple[Any, Any]:
    """The embedded service (its own SQLite and media folder under `scratch`)."""
    from designer_bff.app import asgi_app, create_app
    from designer_bff.config import Settings
    from designer_bff.core.logging import configure_logging
    from designer_bff.db import migrate
    from designer_bff.services import build_services

    configure_logging("WARNING", json=True)  # the figures, not a line per request

    settings = Settings(
        _env_file=None,
        app_env="test",
        data_dir=scratch / "service",
        database_url=None,
        redis_url=None,
        vlt_api_url=None,
        log_level="WARNING",
        portfolio_max_files=max(500, mb * 2),
        portfolio_max_bytes=(mb + 64) * MB,
    )
    migrate.upgrade(settings.sqlalchemy_url)
    services = build_services(settings)
    return asgi_app(create_app(settings, services)), services


async def sign_up(base: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post(
            "/api/auth/register",
            json={"email": "bench@example.com", "password": "bench-upload-pass", "name": "B"},
        )
        r.raise_for_status()
        return str(r.json()["access_token"])


async def analysed(base: str, token: str, count: int, within_s: float = 600.0) -> int:
    """Wait until `count` portfolio images are analysed (done or failed)."""
    import httpx

    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        while True:
            items: list[dict[str, Any]] = []
            cursor = None
            while True:
                params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                page = (await c.get("/api/portfolio", params=params)).json()
                items += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            finished = sum(i["analysis"]["status"] in ("done", "failed") for i in items)
            if finished >= count or time.monotonic() > deadline:
                return finished
            await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the upload in MB")
    parser.add_argument("--file-mb", type=float, default=5.0, help="size of each image in MB")
    parser.add_argument("--zip", action="store_true", help="send the images in one zip")
    parser.add_argument(
        "--service",
        action="store_true",
        help="upload to the whole service (stored, variants, analysed), not the receiver alone",
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("needs curl (apt-get install curl) to send the body from another process")
    print(
        f"python {platform.python_version()}, Pillow {Image.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as scratch:
        asyncio.run(run(args, Path(scratch)))


if __name__ == "__main__":
    main()
