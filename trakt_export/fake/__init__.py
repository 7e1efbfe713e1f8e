"""A faithful fake of the Trakt API v2 for tests, the demo and benchmarks.

Use it as the innermost httpx transport (`FakeTrakt(ds).transport()`), or over real HTTP on
loopback (`with fake.serve() as url:` / `python -m trakt_export.fake serve`). Misbehaviour,
including how the real Trakt and Cloudflare fetch (budget, hidden items, challenges...), is
switched on through `fake.faults`; `fake.mutations` holds data changes for `mutate_after`.
"""

from trakt_export.fake.access import Access
from trakt_export.fake.datasets import edge, large, reality, sample, sized
from trakt_export.fake.faults import Faults
from trakt_export.fake.records import (
    UNKNOWN_DATE,
    Collected,
    Comment,
    Dataset,
    Episode,
    Film,
    Gone,
    Hidden,
    Listed,
    Note,
    Person,
    Playback,
    Rating,
    Season,
    Show,
    Token,
    UserData,
    UserList,
    Watch,
)
from trakt_export.fake.server import FakeTrakt
from trakt_export.fake.socialsets import heavy_tv
from trakt_export.fake.stats import Stats

__all__ = [
    "UNKNOWN_DATE",
    "Access",
    "Collected",
    "Comment",
    "Dataset",
    "Episode",
    "FakeTrakt",
    "Faults",
    "Film",
    "Gone",
    "Hidden",
    "Listed",
    "Note",
    "Person",
    "Playback",
    "Rating",
    "Season",
    "Show",
    "Stats",
    "Token",
    "UserData",
    "UserList",
    "Watch",
    "edge",
    "heavy_tv",
    "large",
    "reality",
    "sample",
    "sized",
]
