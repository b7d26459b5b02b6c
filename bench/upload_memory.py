"""Memory and speed of a large portfolio upload through `receive_portfolio_upload`.

Usage:  .venv/bin/python bench/upload_memory.py [--mb 500] [--file-mb 5] [--zip]

Writes a multipart body of about `--mb` MB to a temporary folder (noise JPEGs of about
`--file-mb` MB each, one picture made once with a different comment per copy, so every
file hashes differently; with `--zip`, all of them in one stored zip), then sends it
with curl (a separate process, streaming the file) to a Starlette app served by uvicorn
on 127.0.0.1 in this process. The app receives it (streamed to disk, hashed, zip
expanded, each image typed and decoded at reduced scale) and cleans up.

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


async def send(url: str, body: Path) -> tuple[float, str]:
    """POST the body file with curl, streamed from disk: (seconds, response text)."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "curl",
        "--silent",
        "--show-error",
        "--max-time",
        "600",
        "-X",
        "POST",
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
    write_body(warm_body, 1, 0.3, args.zip)
    body = scratch / "big.body"
    count, size = write_body(body, args.mb, args.file_mb, args.zip)
    print(
        f"  {count} JPEGs{' in one zip' if args.zip else ''}, body {size / MB:.0f} MB, "
        f"written in {time.perf_counter() - started:.1f} s"
    )

    port = free_port()
    config = uvicorn.Config(
        make_app(workdir, limits),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}/upload"
    sampler = RssSampler()
    sampler.start()
    try:
        _, warm = await send(url, warm_body)
        print(f"  warm-up: {warm}")
        baseline = rss_bytes()
        sampler.reset()
        elapsed, answer = await send(url, body)
        peak = sampler.peak
    finally:
        sampler.stop()
        server.should_exit = True
        await serving
    growth = max(0, peak - baseline)
    print(f"  answer: {answer}")
    print(f"  baseline RSS {baseline / MB:.0f} MB, peak {peak / MB:.0f} MB")
    print(f"  {size / MB / elapsed:.0f} MB/s: {size / MB:.0f} MB in {elapsed:.1f} s")
    print(f"peak RSS growth: {growth / MB:.0f} MB for {size / MB:.0f} MB uploaded")
    left = list(workdir.iterdir()) if workdir.exists() else []
    print(f"  left in the upload folder afterwards: {len(left)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the upload in MB")
    parser.add_argument("--file-mb", type=float, default=5.0, help="size of each image in MB")
    parser.add_argument("--zip", action="store_true", help="send the images in one zip")
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
