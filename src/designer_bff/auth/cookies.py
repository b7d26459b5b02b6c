"""The files cookie: lets a browser's <img src> load my designs' files.

File URLs are plain (`/api/images/{id}/file?variant=thumb`) and cacheable; what makes
them useless to anyone else is this cookie: HttpOnly (no script reads it), SameSite=Strict
(no other site's page sends it), scoped to the image routes, and living as long as an
access token. It holds a token of the session that only the file routes accept, so a
copied URL shows nothing in another browser, and nothing once the cookie expires."""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from designer_bff.auth.tokens import FILES, TokenService

FILES_COOKIE = "dbff_files"
FILES_COOKIE_PATH = "/api/images"


def set_files_cookie(
    request: Request,
    response: Response,
    tokens: TokenService,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    role: str,
) -> None:
    response.set_cookie(
        FILES_COOKIE,
        tokens.issue_access(user_id, session_id, role, kind=FILES),
        max_age=int(tokens.access_ttl.total_seconds()),
        path=FILES_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_files_cookie(response: Response) -> None:
    response.delete_cookie(FILES_COOKIE, path=FILES_COOKIE_PATH, httponly=True, samesite="strict")
