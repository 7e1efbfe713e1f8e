"""Every key this tool puts into httpx's `request.extensions` and `response.extensions`, in one
place, with the shapes they carry.

httpx passes a request's extensions down the transport stack and a response's back up, so the
layers talk through them without importing each other:

    request  HINT        the source -> the cache: what kind of data, whose, vouched by which
                         activity stamp; a listing page's `Stage` (`CacheHint`)
             ATTEMPT     metrics: how many times this request was sent so far
    response FROM_CACHE  the cache: answered from disk, no request was sent
             DEFERRED    the cache: a probe's answer, "this listing is cached, ask again once
                         the activity stamp is known" (a 204 with no body)
             PARSED_JSON retry: the body as parsed by its check (decode_json reuses it)
             ATTEMPTS    retry: the tries spent when retries ran out (error_for_status says so)

httpx's own keys (`timeout`, `http_version`, ...) share these dicts; ours all start with
`trakt_export` so they never collide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypedDict, cast

import httpx

if TYPE_CHECKING:
    from trakt_export.transport.stage import Stage

HINT: Final = "trakt_export"
ATTEMPT: Final = "trakt_export_attempt"
FROM_CACHE: Final = "trakt_export_from_cache"
DEFERRED: Final = "trakt_export_deferred"
PARSED_JSON: Final = "trakt_export_json"
ATTEMPTS: Final = "trakt_export_attempts"


class CacheHint(TypedDict, total=False):
    """What a request tells the cache (`request.extensions[HINT]`); no hint, no caching."""

    kind: str  # ttl_hours kind: "sync", "settings", "people"
    account: str  # whose data: entries of two accounts never mix
    activity: str | None  # the last_activities stamp vouching for the data (None: TTL rules)
    ttl: str  # the ttl_hours kind of its lifetime when not `kind` ("validated")
    listing: str  # a listing page: the listing it belongs to ...
    stage: Stage  # ... and the staged write its pages go to until committed
    lookup: bool  # False: re-read from Trakt (a re-check), never from the cache
    probe: bool  # page 1 asked before the activity stamps are known


class RequestExtensions(TypedDict, total=False):
    trakt_export: CacheHint  # HINT
    trakt_export_attempt: int  # ATTEMPT


class ResponseExtensions(TypedDict, total=False):
    trakt_export_from_cache: bool  # FROM_CACHE
    trakt_export_deferred: bool  # DEFERRED
    trakt_export_json: Any  # PARSED_JSON
    trakt_export_attempts: int  # ATTEMPTS


def hint_of(request: httpx.Request) -> CacheHint | None:
    """The request's cache hint, when it carries one."""
    hint = request.extensions.get(HINT)
    return cast("CacheHint", hint) if isinstance(hint, dict) else None


def from_cache(response: httpx.Response) -> bool:
    return bool(response.extensions.get(FROM_CACHE))


def deferred(response: httpx.Response) -> bool:
    return bool(response.extensions.get(DEFERRED))
