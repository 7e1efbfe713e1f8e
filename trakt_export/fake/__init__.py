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
    Dataset,
    Episode,
    Film,
    Gone,
    Listed,
    Person,
    Rating,
    Season,
    Show,
    Token,
    UserData,
    Watch,
)
from trakt_export.fake.server import FakeTrakt
from trakt_export.fake.stats import Stats

__all__ = [
    "UNKNOWN_DATE",
    "Access",
    "Collected",
    "Dataset",
    "Episode",
    "FakeTrakt",
    "Faults",
    "Film",
    "Gone",
    "Listed",
    "Person",
    "Rating",
    "Season",
    "Show",
    "Stats",
    "Token",
    "UserData",
    "Watch",
    "edge",
    "large",
    "reality",
    "sample",
    "sized",
]
