"""A faithful fake of the Trakt API v2 for tests, the demo and benchmarks.

Use it as the innermost httpx transport (`FakeTrakt(ds).transport()`), or over real HTTP on
loopback (`with fake.serve() as url:` / `python -m trakt_fake serve`). Misbehaviour,
including how the real Trakt and Cloudflare fetch (budget, hidden items, challenges...), is
switched on through `fake.faults`; `fake.mutations` holds data changes for `mutate_after`.
"""

from trakt_fake.access import Access
from trakt_fake.datasets import edge, large, reality, sample, sized
from trakt_fake.faults import Faults
from trakt_fake.records import (
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
from trakt_fake.server import FakeTrakt
from trakt_fake.socialsets import heavy_tv
from trakt_fake.stats import Stats

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
