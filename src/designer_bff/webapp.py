"""The built web app (`web/dist`) served at `/`: hashed assets under `/assets` cached for a
year, `index.html` (never cached) for every other GET that no route answers (the
router's default), so client-side routes such as `/history` load the app. Nothing is
mounted when the build is missing: the API works without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

# Paths the app never answers with index.html: a typo under them is a JSON 404.
RESERVED = ("api", "health", "metrics", "docs", "openapi.json", "socket.io", "assets")

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


class _ImmutableFiles(StaticFiles):
    """Vite's hashed files: a new build has new names, so a year of caching is safe."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def mount_webapp(app: FastAPI, dist_dir: Path | None = None) -> bool:
    """Serve the build in `dist_dir` (default: the repository's `web/dist`) if there is
    one; True when mounted. Call it after the API routers are included: it only answers
    what they do not."""
    dist = (dist_dir or DEFAULT_DIST).resolve()
    index = dist / "index.html"
    if not index.is_file():
        return False
    if (dist / "assets").is_dir():
        app.mount("/assets", _ImmutableFiles(directory=dist / "assets"), name="webapp-assets")

    not_found: ASGIApp = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        # The router's default runs only when no route matched (a wrong method on a known
        # path is still 405), so every route, even one added later, wins over the app.
        path = scope["path"].lstrip("/")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.split("/", 1)[0] in RESERVED
        ):
            await not_found(scope, receive, send)
            return
        if path:
            candidate = (dist / path).resolve()
            if candidate.is_file() and candidate.is_relative_to(dist):
                await FileResponse(candidate, headers={"Cache-Control": NO_CACHE})(
                    scope, receive, send
                )
                return
            if "." in path.rsplit("/", 1)[-1]:
                await not_found(scope, receive, send)  # a missing file, not a page
                return
        await FileResponse(index, headers={"Cache-Control": NO_CACHE})(scope, receive, send)

    app.router.default = fallback
    return True
