"""The result cache of a no-change run: a hit only for the same key, whole and fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trakt_export.run.results import Result, ResultStore, result_key

RESULT = Result("Title,Year\n", ["A,2001\n", "B,2002\n"], 2)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> ResultStore:
    return ResultStore(tmp_path / "results", ttl_seconds=3600, clock=clock)


def test_a_stored_result_comes_back_for_its_key(store: ResultStore) -> None:
    key = result_key({"stamps": {"movies.watched_at": "2026-01-01T00:00:00Z"}})
    store.put("movies-history", key, RESULT)
    assert store.get("movies-history", key) == RESULT


def test_any_change_in_what_the_output_depends_on_is_a_miss(store: ResultStore) -> None:
    key = result_key({"stamps": {"movies.watched_at": "2026-01-01T00:00:00Z"}, "tz": "UTC"})
    store.put("movies-history", key, RESULT)
    other = result_key({"stamps": {"movies.watched_at": "2026-01-01T00:00:01Z"}, "tz": "UTC"})
    assert other != key
    assert store.get("movies-history", other) is None
    assert store.get("movies-aggregated", key) is None


def test_keys_are_stable_and_order_free() -> None:
    assert result_key({"a": 1, "b": [1, 2]}) == result_key({"b": [1, 2], "a": 1})
    assert result_key({"a": 1}) != result_key({"a": 2})


def test_an_entry_past_its_ttl_is_a_miss(store: ResultStore, clock: Clock) -> None:
    store.put("n", "k", RESULT)
    clock.now += 3600
    assert store.get("n", "k") == RESULT
    clock.now += 1
    assert store.get("n", "k") is None


def test_an_entry_from_the_future_is_a_miss(store: ResultStore, clock: Clock) -> None:
    store.put("n", "k", RESULT)
    clock.now -= 1  # the clock went back: the entry's age is unknown
    assert store.get("n", "k") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b"\0" * len(b),
        lambda b: b"",
        lambda b: b.replace(b"B,2002", b"C,2002"),  # text changed under its digest
        lambda b: b.replace(b'"rows": 2', b'"rows": "2"'),
        lambda b: json.dumps(["not", "an", "entry"]).encode(),
    ],
)
def test_a_damaged_entry_is_a_miss_never_an_error(store: ResultStore, damage: object) -> None:
    store.put("n", "k", RESULT)
    path = store.directory / "n.json"
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert store.get("n", "k") is None


def test_a_store_that_cannot_be_written_costs_only_the_shortcut(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = ResultStore(blocker / "results", ttl_seconds=60)
    store.put("n", "k", RESULT)  # no exception
    assert store.get("n", "k") is None
    store.forget("n")
