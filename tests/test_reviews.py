"""Reviews and Tags (SPEC §5): comments placed into `Review`, goldens in two timezones."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pytest

from tests.test_golden import CLIENT, check, settings_for
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge
from trakt_fake.records import Comment, utc
from trakt_fake.ziplayouts import write_trakt_zip

ZONES = {"account": {}, "override": {"TRAKT_EXPORT_EXPORT_TIMEZONE": "America/Los_Angeles"}}


def edge_fake() -> FakeTrakt:
    """The edge set plus a comment whose local date differs between Berlin and Los Angeles:
    2023-09-01 23:30 UTC is 09-02 in Berlin (no Alien row: the latest, 10-31) and 09-01 in LA."""
    data = edge()
    user = data.user("edge-user")
    assert user is not None
    alien = data.films[23]
    user.comments.append(Comment(10, utc(2023, 9, 1, 23, 30), alien, "Zone test\r\nsecond"))
    user.changed()
    return FakeTrakt(data, client_id=CLIENT)


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_reviews_golden_two_zones(
    zone: str, clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    fake = edge_fake()
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=token,
        TRAKT_EXPORT_EXPORT_MODE="history",
        TRAKT_EXPORT_EXPORT_REVIEWS="true",
        **ZONES[zone],
    )
    out = tmp_path / "reviews.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    check(out, f"edge-history-reviews-{zone}.csv", update_goldens)
    seen = [s for s in fake.stats.requests if "comments" in s.path]
    assert {s.path for s in seen} == {"/users/me/comments/all/movies"}
    assert all(s.query.get("include_replies") == "false" for s in seen)
    rows = rows_of(out)
    assert list(rows[0]) == [
        "Title", "Year", "imdbID", "tmdbID", "WatchedDate", "Rating10", "Rewatch", "Review"
    ]  # fmt: skip
    inception = [r for r in rows if r["Title"] == "Inception"]
    assert len(inception) == 1
    review = inception[0]["Review"]
    # Both top-level comments, oldest first, a blank line between; the reply is excluded.
    assert review.startswith("(Contains spoilers)\nDreams &amp; layers:\nthe &lt;totem&gt;")
    assert review.endswith("\n\nSecond look, different day.")
    assert "Replying to myself" not in out.read_text()
    alien = {r["WatchedDate"]: r["Review"] for r in rows if r["Title"] == "Alien"}
    expected_day = "2023-10-31" if zone == "account" else "2023-09-01"
    assert [day for day, text in alien.items() if "Zone test\nsecond" in text] == [expected_day]
    assert "Never seen it" not in out.read_text()  # only commented on: no row


def test_orphan_comment_warning_and_public_mode(
    clean_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = edge_fake()
    settings = settings_for(
        clean_env, TRAKT_EXPORT_USERNAME="edge-user", TRAKT_EXPORT_EXPORT_REVIEWS="true"
    )
    out = tmp_path / "agg.csv"
    with caplog.at_level(logging.WARNING):
        run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert [s.path for s in fake.stats.requests if "comments" in s.path] == [
        "/users/edge-user/comments/all/movies"
    ]
    warned = [r.getMessage() for r in caplog.records if "comment but no watch" in r.getMessage()]
    assert warned == [
        "Warning: 1 film with a comment but no watch or rating got no row "
        "(importing one would mark it watched)."
    ]
    assert rows_of(out)[0].keys() >= {"Review"}


def test_reviews_cached_by_commented_at(clean_env: Path, tmp_path: Path) -> None:
    fake = edge_fake()
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_REVIEWS="true"
    )
    run_movies(settings, Options(output=str(tmp_path / "a.csv"), transport=fake.transport()))
    fake.stats.reset()
    run_movies(settings, Options(output=str(tmp_path / "b.csv"), transport=fake.transport()))
    assert not [s for s in fake.stats.requests if "comments" in s.path]  # from the cache
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_reviews_from_zip_match_online(clean_env: Path, tmp_path: Path) -> None:
    fake = edge_fake()
    token = fake.issue_token("edge-user").access_token
    env = {
        "TRAKT_EXPORT_EXPORT_MODE": "history",
        "TRAKT_EXPORT_EXPORT_REVIEWS": "true",
        "TRAKT_EXPORT_EXPORT_TIMEZONE": "America/Los_Angeles",
    }
    online = tmp_path / "online.csv"
    run_movies(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, **env),
        Options(output=str(online), transport=fake.transport()),
    )
    archive = write_trakt_zip(fake, tmp_path / "export.zip", "edge-user", "flat")
    offline = tmp_path / "offline.csv"
    run_movies(settings_for(clean_env, **env), Options(output=str(offline), zip_path=archive))
    assert offline.read_bytes() == online.read_bytes()


def test_tags_golden_on_dated_rows_only(
    clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=token,
        TRAKT_EXPORT_EXPORT_MODE="history",
        TRAKT_EXPORT_EXPORT_TAGS=" trakt , imported,,",
        TRAKT_EXPORT_EXPORT_REVIEWS="true",
    )
    out = tmp_path / "tags.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    check(out, "edge-history-tags.csv", update_goldens)
    rows = rows_of(out)
    assert list(rows[0])[-2:] == ["Tags", "Review"]
    assert all(r["Tags"] == ("trakt, imported" if r["WatchedDate"] else "") for r in rows)
    assert any(not r["WatchedDate"] for r in rows)


def test_escape_spoiler_and_parse_rules() -> None:
    from trakt_export.letterboxd.reviews import escape, review_text
    from trakt_export.models import parse_comments

    assert escape('a & b <i>x</i> > "q"\r\nnext\rlast') == (
        'a &amp; b &lt;i&gt;x&lt;/i&gt; &gt; "q"\nnext\nlast'
    )
    movie = {"title": "T", "year": 2000, "ids": {"trakt": 1, "imdb": "tt1", "tmdb": 2}}

    def item(cid: int, parent: int = 0, kind: str = "movie", **extra: object) -> dict[str, object]:
        body = {"id": cid, "parent_id": parent, "created_at": "2023-01-01T10:00:00.000Z"}
        body |= {"comment": f"c{cid}", "spoiler": False} | extra
        return {"type": kind, "movie": movie, "comment": body}

    null_film = {"type": "movie", "movie": None, "comment": {"id": 5}}
    parsed = parse_comments(
        [item(1), item(2, parent=1), item(3, kind="show"), item(4, spoiler=True), null_film]
    )
    assert [c.comment_id for c in parsed] == [1, 4]
    assert review_text(parsed[1]) == "(Contains spoilers)\nc4"
