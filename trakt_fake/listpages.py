"""Pagination and JSON answers of the social and account routes (lists, comments, favorites,
playback, hidden, notes, stats); no server import. The sync listings page through server.py
and paging.py, where the fetching faults apply.

`paginate` serves one page of already ordered entries: `page` (default 1), `limit` (default
100, clamped to 1..cap, cap 250 unless the endpoint's own is lower), `X-Pagination-*` headers,
page count at least 1, a page past the end is `[]`. With `optional=True` (Trakt's "Pagination
Optional"), a request without `page` and `limit` gets every entry and no pagination headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_LIMIT = 100
MAX_LIMIT = 250


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return httpx.Response(
        status, headers={"Content-Type": JSON_TYPE, **(headers or {})}, content=content
    )


def error(status: int, name: str, description: str, **headers: str) -> httpx.Response:
    return answer(status, {"error": name, "error_description": description}, headers)


def not_found(what: str = "Not Found") -> httpx.Response:
    return error(404, "not_found", what)


def unauthorized() -> httpx.Response:
    return error(
        401,
        "unauthorized",
        "OAuth required",
        **{"WWW-Authenticate": 'Bearer realm="trakt", error="invalid_token"'},
    )


def _int(params: httpx.QueryParams, name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except ValueError:
        return default


def paginate(
    request: httpx.Request,
    entries: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    cap: int = MAX_LIMIT,
    optional: bool = False,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    params = request.url.params
    if optional and "page" not in params and "limit" not in params:
        return answer(200, [render(e) for e in entries], headers)
    limit = min(max(_int(params, "limit", DEFAULT_LIMIT), 1), cap)
    page = max(_int(params, "page", 1), 1)
    start = (page - 1) * limit
    body = [render(e) for e in entries[start : start + limit]]
    total = len(entries)
    return answer(
        200,
        body,
        {
            "X-Pagination-Page": str(page),
            "X-Pagination-Limit": str(limit),
            "X-Pagination-Page-Count": str(max(1, -(-total // limit))),
            "X-Pagination-Item-Count": str(total),
            **(headers or {}),
        },
    )
