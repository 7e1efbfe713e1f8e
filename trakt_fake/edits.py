"""Mutation helpers of FakeTrakt for the social and account data (a mixin, for tests).

Each helper changes one user's records under the fake's lock and moves the matching
last_activities stamps past both the clock and their old value, like Trakt does:
comments -> `<type>.commented_at`; lists and list items -> `lists.updated_at`; favorites ->
`favorites.updated_at` and `<type>.favorited_at`; playback -> `<type>.paused_at`; hidden ->
`<type>.hidden_at` (`shows.dropped_at` for dropped); notes -> `notes.updated_at`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from trakt_fake.records import (
    MILLISECOND,
    Comment,
    Dataset,
    Episode,
    Film,
    Hidden,
    Item,
    Listed,
    Note,
    Playback,
    Season,
    Show,
    UserData,
    UserList,
    as_utc,
    slugify,
)
from trakt_fake.shapes import activity_times
from trakt_fake.stamps import section_of


class SocialMutations:
    """Mixed into FakeTrakt, which provides `dataset`, `lock` and `clock`."""

    dataset: Dataset
    lock: threading.RLock
    clock: Callable[[], float]

    def _owner(self, username: str) -> UserData:
        user = self.dataset.user(username)
        if user is None:
            raise KeyError(f"no user {username!r} in the dataset")
        return user

    def _stamp(self, user: UserData, *where: tuple[str, str]) -> datetime:
        before = activity_times(user)
        now = datetime.fromtimestamp(self.clock(), UTC)
        for key in where:
            user.bumped[key] = max(now, before[key] + MILLISECOND)
        user.changed()
        return now

    def add_comment(
        self,
        username: str,
        item: Item | UserList | None,
        text: str,
        *,
        spoiler: bool = False,
        parent_id: int = 0,
        created_at: datetime | None = None,
    ) -> Comment:
        """A new comment (a reply when `parent_id`); the parent's reply count grows."""
        with self.lock:
            user = self._owner(username)
            now = self._stamp(user, (section_of(item) or "movies", "commented_at"))
            comment = Comment(
                id=max((c.id for c in user.comments), default=0) + 1,
                created_at=as_utc(created_at) if created_at else now,
                item=item,
                text=text,
                spoiler=spoiler,
                parent_id=parent_id,
            )
            for parent in user.comments:
                if parent.id == parent_id:
                    parent.replies += 1
            user.comments.append(comment)
            user.changed()
            return comment

    def add_list(
        self, username: str, name: str, *, privacy: str = "public", slug: str | None = None
    ) -> UserList:
        with self.lock:
            user = self._owner(username)
            now = self._stamp(user, ("lists", "updated_at"))
            trakt = max((lst.trakt for lst in self.all_lists()), default=4000) + 1
            lst = UserList(trakt, name, slug or slugify(name) or str(trakt), now, now, privacy)
            user.lists.append(lst)
            user.changed()
            return lst

    def all_lists(self) -> list[UserList]:
        return [lst for user in self.dataset.users.values() for lst in user.lists]

    def add_list_item(
        self, username: str, list_key: str | int, item: Item, notes: str | None = None
    ) -> Listed:
        """Append `item` to the list (by Trakt id or slug); bumps `lists.updated_at`."""
        with self.lock:
            user = self._owner(username)
            lst = next((x for x in user.lists if str(list_key) in (str(x.trakt), x.slug)), None)
            if lst is None:
                raise KeyError(f"no list {list_key!r} of {username!r}")
            now = self._stamp(user, ("lists", "updated_at"))
            entry = Listed(
                id=max((e.id for x in self.all_lists() for e in x.items), default=0) + 1,
                rank=max((e.rank for e in lst.items), default=0) + 1,
                listed_at=now,
                item=item,
                notes=notes,
            )
            lst.items.append(entry)
            lst.updated_at = now
            user.changed()
            return entry

    def add_favorite(self, username: str, item: Film | Show, notes: str | None = None) -> Listed:
        with self.lock:
            user = self._owner(username)
            now = self._stamp(
                user, ("favorites", "updated_at"), (section_of(item) or "movies", "favorited_at")
            )
            entry = Listed(
                id=max((e.id for e in user.favorites), default=0) + 1,
                rank=max((e.rank for e in user.favorites), default=0) + 1,
                listed_at=now,
                item=item,
                notes=notes,
            )
            user.favorites.append(entry)
            user.changed()
            return entry

    def add_playback(self, username: str, item: Film | Episode, progress: float) -> Playback:
        with self.lock:
            user = self._owner(username)
            now = self._stamp(user, (section_of(item) or "movies", "paused_at"))
            paused = Playback(
                max((p.id for p in user.playback), default=0) + 1, progress, now, item
            )
            user.playback.append(paused)
            user.changed()
            return paused

    def hide(self, username: str, section: str, item: Film | Show | Season | str) -> Hidden:
        with self.lock:
            user = self._owner(username)
            if section == "dropped":
                key = ("shows", "dropped_at")
            elif isinstance(item, str):
                key = ("comments", "blocked_at")
            else:
                key = (section_of(item) or "movies", "hidden_at")
            entry = Hidden(section, self._stamp(user, key), item)
            user.hidden.append(entry)
            user.changed()
            return entry

    def add_note(self, username: str, item: Item, text: str, privacy: str = "private") -> Note:
        with self.lock:
            user = self._owner(username)
            now = self._stamp(user, ("notes", "updated_at"))
            note = Note(max((n.id for n in user.notes), default=0) + 1, text, now, item, privacy)
            user.notes.append(note)
            user.changed()
            return note
