"""Ready-made data changes for `Faults.mutate_after`: what a user does while a fetch runs.

Each helper returns a zero-argument callback bound to a fake and a user. They go through the
fake's own mutation paths (`add_history`, `_bump`, its lock), so `last_activities` moves
exactly as a real change would: plays and deletions bump `movies.watched_at`
(`episodes.watched_at` for an episode play).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from trakt_fake.records import Film, Watch

if TYPE_CHECKING:
    from trakt_fake.server import FakeTrakt

MINUTE = timedelta(minutes=1)


def _after_newest(fake: FakeTrakt, username: str, plays: int = 1) -> datetime:
    """The first of `plays` minute-spaced watch times newer than the user's newest play, the
    last being the fake's clock (to the minute) unless the data already runs past it."""
    user = fake.dataset.user(username)
    if user is None:
        raise KeyError(f"no user {username!r} in the dataset")
    now = datetime.fromtimestamp(fake.clock(), UTC).replace(second=0, microsecond=0)
    newest = max((w.watched_at for w in user.history), default=now - MINUTE)
    last = max(now, newest.replace(second=0, microsecond=0) + plays * MINUTE)
    return last - (plays - 1) * MINUTE


def new_plays(
    fake: FakeTrakt, username: str, film_ids: Sequence[int], action: str = "scrobble"
) -> Callable[[], None]:
    """Plays of `film_ids` at the top of history (the last id becomes the newest), added in
    one go like one `POST /sync/history`: `movies.watched_at` moves once."""

    def run() -> None:
        with fake.lock:
            user = fake._user(username)
            films = [fake._film(trakt) for trakt in film_ids]
            start = _after_newest(fake, username, len(films))
            next_id = max((w.id for w in user.history), default=0) + 1
            fake._bump(user, ("movies", "watched_at"))
            for i, film in enumerate(films):
                user.history.append(Watch(next_id + i, start + i * MINUTE, action, film))
            user.changed()

    return run


def rewatch(fake: FakeTrakt, username: str, film_id: int) -> Callable[[], None]:
    """Another play of an already watched film: it moves to the top of watched movies (which
    Trakt orders by last watch) with plays + 1."""

    def run() -> None:
        with fake.lock:
            user = fake.dataset.user(username)
            seen = user is not None and any(
                isinstance(w.item, Film) and w.item.trakt == film_id for w in user.history
            )
            if not seen:
                raise KeyError(f"{username!r} never watched film {film_id}")
            fake.add_history(username, film_id, _after_newest(fake, username), "watch")

    return run


def delete_play(
    fake: FakeTrakt, username: str, history_id: int | None = None
) -> Callable[[], None]:
    """Remove one play from history (by id; default the newest), as `/sync/history/remove`."""

    def run() -> None:
        with fake.lock:
            user = fake.dataset.user(username)
            if user is None:
                raise KeyError(f"no user {username!r} in the dataset")
            if history_id is None:
                watch = max(user.history, key=lambda w: (w.watched_at, w.id))
            else:
                watch = next(w for w in user.history if w.id == history_id)
            user.history.remove(watch)
            section = "movies" if isinstance(watch.item, Film) else "episodes"
            fake._bump(user, (section, "watched_at"))

    return run
