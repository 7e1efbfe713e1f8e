"""letterboxd.listorder: a list's items in its own sort_by/sort_how (SPEC §1 v2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from trakt_export.letterboxd.listorder import SERVED, ordered


def item(trakt: int, rank: int, title: str | None = "", **extra: Any) -> dict[str, Any]:
    movie = {"title": title or f"Film {trakt}", "ids": {"trakt": trakt}}
    return {
        "rank": rank,
        "listed_at": f"2024-01-0{trakt % 9 + 1}T00:00:00.000Z",
        "movie": movie,
    } | extra


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [i["movie"]["ids"]["trakt"] for i in items]


def test_rank_with_repeats_ties_by_trakt_id_both_ways() -> None:
    served = [item(9, 2), item(3, 2), item(5, 1), item(7, 4)]
    assert ids(ordered(served, "rank", "asc")) == [5, 3, 9, 7]
    assert ids(ordered(served, "rank", "desc")) == [7, 3, 9, 5]


def test_title_case_folded_then_code_point_desc_keeps_rank_ties() -> None:
    served = [item(1, 3, "About Schmidt"), item(2, 1, "about a boy"), item(3, 2, "About a Boy")]
    assert ids(ordered(served, "title", "asc")) == [3, 2, 1]  # "About a Boy" < "about a boy"
    assert ids(ordered(served, "title", "desc")) == [1, 2, 3]


def test_my_rating_recomputed_when_carried_else_served_order() -> None:
    rated = [item(1, 1, my_rating=None), item(2, 2, my_rating=6), item(3, 3, my_rating=9)]
    assert ids(ordered(rated, "my_rating", "desc")) == [3, 2, 1]  # unrated last
    assert ids(ordered(rated, "my_rating", "asc")) == [2, 3, 1]
    plain = [item(3, 1), item(1, 2), item(2, 3)]
    assert ids(ordered(plain, "my_rating", "desc")) == [3, 1, 2]


@pytest.mark.parametrize("sort_by", SERVED)
def test_keys_not_in_the_data_keep_trakts_served_order(sort_by: str) -> None:
    served = [item(3, 9), item(1, 2), item(2, 5)]
    assert ids(ordered(served, sort_by, "desc")) == [3, 1, 2]


@pytest.mark.parametrize("sort_by", ["random", "mystery", None, 7])
def test_random_and_unknown_fall_back_to_rank_ascending(sort_by: object) -> None:
    served = [item(3, 9), item(1, 2), item(2, 5)]
    assert ids(ordered(served, sort_by, "desc")) == [1, 2, 3]
