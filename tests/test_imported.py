"""Issue 21 against the fake's `imported` account: date-only plays (SPEC §5 v2.2), the order's
case-folded titles, the id-less film, lists in their own order (SPEC §1 v2.2), all missing ZIP
files named (§3), at most 1 + 3 reads of page 1 (§4), and `--since last` by Trakt's stamps."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.test_golden import CLIENT, GOLDEN, check, settings_for
from tests.test_snapshots import USER, World
from trakt_export.errors import DataChangingError, InputError
from trakt_export.letterboxd.since import mark_path
from trakt_export.run.export import run_movies
from trakt_export.run.lists import run_lists
from trakt_export.run.report import build_report
from trakt_export.run.session import Options
from trakt_export.sources.ziparchive import read_zip
from trakt_export.transport.metrics import Metrics
from trakt_fake import FakeTrakt
from trakt_fake.importsets import IMPORTED_USER, imported
from trakt_fake.listsort import SORT_BY
from trakt_fake.mutations import new_plays
from trakt_fake.records import Rating
from trakt_fake.ziplayouts import LAYOUTS, write_trakt_zip

ZONES = {"la": "America/Los_Angeles", "tokyo": "Asia/Tokyo"}  # west and east of UTC
FLAGS = {"on": "true", "off": "false"}
SINCE = "2024-06-01"
API = "https://api.trakt.tv"


def _fake() -> FakeTrakt:
    return FakeTrakt(imported(), client_id=CLIENT)


def _movies(
    home: Path,
    out: Path,
    *,
    mode: str = "history",
    zone: str = "la",
    flag: str = "on",
    since: str | None = None,
    fake: FakeTrakt | None = None,
    metrics: Metrics | None = None,
    **env: str,
) -> FakeTrakt:
    fake = fake or _fake()
    settings = settings_for(
        home,
        TRAKT_EXPORT_ACCESS_TOKEN=fake.issue_token(IMPORTED_USER).access_token,
        TRAKT_EXPORT_EXPORT_MODE=mode,
        TRAKT_EXPORT_EXPORT_TIMEZONE=ZONES[zone],
        TRAKT_EXPORT_EXPORT_DATE_ONLY_MIDNIGHT=FLAGS[flag],
        TRAKT_EXPORT_CACHE_ENABLED="false",
        **env,
    )
    options = Options(output=str(out), transport=fake.transport(), metrics=metrics)
    run_movies(settings, options, since)
    return fake


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _row(path: Path, title: str) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    return [r for r in csv.DictReader(io.StringIO(text, newline="")) if r["Title"] == title]


# ----- date-only plays ---------------------------------------------------------------------


@pytest.mark.parametrize("flag", sorted(FLAGS))
@pytest.mark.parametrize("zone", sorted(ZONES))
def test_history_golden_date_only_plays(
    clean_env: Path, tmp_path: Path, update_goldens: bool, zone: str, flag: str
) -> None:
    out = tmp_path / "h.csv"
    _movies(clean_env, out, zone=zone, flag=flag)
    check(out, f"imported-history-{zone}-{flag}.csv", update_goldens)


def test_date_only_plays_keep_their_utc_date_west_and_east(clean_env: Path, tmp_path: Path) -> None:
    on, off = tmp_path / "on.csv", tmp_path / "off.csv"
    _movies(clean_env, on, zone="la", flag="on")
    _movies(clean_env, off, zone="la", flag="off")
    # Imported on 10 March (the day US clocks change): that date, not 9 March, with the rule.
    assert [r["WatchedDate"] for r in _row(on, "About a Boy")] == ["2024-03-10"]
    assert [r["WatchedDate"] for r in _row(off, "About a Boy")] == ["2024-03-09"]
    # A scrobble or check-in at 00:00 UTC has a real time: converted either way.
    for path in (on, off):
        assert [r["WatchedDate"] for r in _row(path, "Midnight Scrobble")] == ["2024-03-31"]
        assert [r["WatchedDate"] for r in _row(path, "Midnight Check-in")] == ["2024-04-01"]
        assert [r["WatchedDate"] for r in _row(path, "One Minute Past")] == ["2024-06-15"]
    # Imported, then scrobbled at 13:00 the same (local) day: one viewing with the rule.
    assert [(r["WatchedDate"], r["Rewatch"]) for r in _row(on, "Imported And Scrobbled")] == [
        ("2024-08-10", "false")
    ]
    # The epoch is checked first: date unknown, then an imported date -> a rewatch.
    assert [(r["WatchedDate"], r["Rewatch"]) for r in _row(on, "Unknown Then Imported")] == [
        ("2024-02-01", "true")
    ]
    tokyo = tmp_path / "tokyo.csv"
    _movies(clean_env, tokyo, zone="tokyo", flag="on")
    assert [r["WatchedDate"] for r in _row(tokyo, "About a Boy")] == ["2024-03-10"]
    assert [r["WatchedDate"] for r in _row(tokyo, "Imported And Scrobbled")] == [
        "2024-08-10",
        "2024-08-11",
    ]


@pytest.mark.parametrize("flag", sorted(FLAGS))
@pytest.mark.parametrize("zone", sorted(ZONES))
def test_since_date_golden(
    clean_env: Path, tmp_path: Path, update_goldens: bool, zone: str, flag: str
) -> None:
    out = tmp_path / "s.csv"
    _movies(clean_env, out, zone=zone, flag=flag, since=SINCE)
    check(out, f"imported-since-{zone}-{flag}.csv", update_goldens)
    titles = {r.split(",")[0] for r in _lines(out)[1:]}
    # Rated at 00:00 UTC on 1 June: a date-only rating keeps that date (SPEC §5).
    assert ("Rated At Midnight" in titles) == (zone == "tokyo" or flag == "on")
    # Rated at 06:00 UTC on 1 June: 31 May in Los Angeles, 1 June in Tokyo.
    assert ("Rated Before Midnight" in titles) == (zone == "tokyo")


def _last_row_per_film(history: bytes) -> bytes:
    """Aggregated mode as SPEC §5 v2.2 defines it: each film's latest history-mode row. The
    history file's order is the rows' own (date, title, year, id), so the survivors keep it."""
    header, *lines = history.decode().split("\r\n")[:-1]
    last: dict[tuple[str, ...], int] = {}
    for index, line in enumerate(lines):
        last[tuple(next(csv.reader([line]))[:4])] = index
    kept = sorted(last.values())
    return "".join(f"{text}\r\n" for text in [header, *(lines[i] for i in kept)]).encode()


@pytest.mark.parametrize("flag", sorted(FLAGS))
@pytest.mark.parametrize("zone", sorted(ZONES))
def test_aggregated_golden_is_the_last_history_row_per_film(
    clean_env: Path, tmp_path: Path, update_goldens: bool, zone: str, flag: str
) -> None:
    name = f"imported-aggregated-{zone}-{flag}.csv"
    derived = tmp_path / "derived.csv"
    derived.write_bytes(
        _last_row_per_film((GOLDEN / f"imported-history-{zone}-{flag}.csv").read_bytes())
    )
    check(derived, name, update_goldens)
    out = tmp_path / "a.csv"
    _movies(clean_env, out, mode="aggregated", zone=zone, flag=flag)
    check(out, name, False)


def test_report_counts_date_only_plays(clean_env: Path, tmp_path: Path) -> None:
    metrics = Metrics()
    _movies(clean_env, tmp_path / "r.csv", metrics=metrics)
    # Seven `watch` plays at 00:00 UTC; the scrobble and check-in at that instant, the epoch
    # play and the play at 00:01 are not date-only.
    assert metrics.date_only_plays == 7
    document = build_report("movies", 0, 0.0, 1.0, metrics)
    assert document["totals"]["date_only_plays"] == 7


def test_review_placed_on_the_date_only_row(clean_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "rv.csv"
    _movies(clean_env, out, TRAKT_EXPORT_EXPORT_REVIEWS="true")
    # The comment was written at 21:00 on 9 March in Los Angeles (its own date, converted):
    # no row that day, so it goes to the film's latest dated row, the imported 10 March.
    [row] = _row(out, "About a Boy")
    assert (row["WatchedDate"], row["Review"]) == ("2024-03-10", "Imported with its date.")


# ----- order and incomplete items ----------------------------------------------------------


def test_titles_are_case_folded_and_the_id_less_film_is_skipped(
    clean_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "o.csv"
    with caplog.at_level(logging.WARNING):
        _movies(clean_env, out, zone="tokyo")
    titles = [line.split(",")[0] for line in _lines(out)[1:]]
    assert titles.index("About a Boy") < titles.index("About Schmidt")
    assert titles.index("the apartment") < titles.index("Zelig")  # case-folded, same day
    warned = [r.getMessage() for r in caplog.records if "no title and no id" in r.getMessage()]
    assert len(warned) == 1
    assert "2 items whose film has no title and no id" in warned[0]  # its play and its rating


def test_the_id_less_film_offline_too(clean_env: Path, tmp_path: Path) -> None:
    archive = write_trakt_zip(_fake(), tmp_path / "x.zip", IMPORTED_USER, "flat")
    data = read_zip(archive, ("history/movies", "ratings/movies"))
    assert all(e.movie.trakt_id for e in data.history)
    assert all(r.movie.trakt_id for r in data.ratings)


# ----- lists in their own order ------------------------------------------------------------


def _lists_online(home: Path, out: Path, public: bool = False) -> list[Path]:
    fake = _fake()
    env = (
        {"TRAKT_EXPORT_USERNAME": IMPORTED_USER}
        if public
        else {"TRAKT_EXPORT_ACCESS_TOKEN": fake.issue_token(IMPORTED_USER).access_token}
    )
    settings = settings_for(home, TRAKT_EXPORT_CACHE_ENABLED="false", **env)
    return run_lists(settings, Options(output=str(out), transport=fake.transport())).files


def _bundle(files: list[Path], into: Path) -> Path:
    into.write_text(
        "".join(f"# {p.name}\n{p.read_text(encoding='utf-8')}" for p in sorted(files)),
        encoding="utf-8",
    )
    return into


def _titles(path: Path) -> list[str]:
    return [line.split(",")[1] for line in _lines(path)[1:]]


def test_lists_golden_each_sort_online_public_and_every_zip_layout(
    clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    online = _lists_online(clean_env, tmp_path / "online")
    assert len(online) == 2 * len(SORT_BY) + 2  # every sort both ways, `mystery`, favorites
    check(_bundle(online, tmp_path / "lists.txt"), "imported-lists.txt", update_goldens)
    public = _lists_online(clean_env, tmp_path / "public", public=True)
    assert [p.read_bytes() for p in public] == [p.read_bytes() for p in online]
    for layout in LAYOUTS:
        archive = write_trakt_zip(_fake(), tmp_path / f"{layout}.zip", IMPORTED_USER, layout)
        result = run_lists(
            settings_for(clean_env), Options(output=str(tmp_path / layout), zip_path=archive)
        )
        assert [p.name for p in result.files] == [p.name for p in online]
        for path in result.files:
            assert path.read_bytes() == (tmp_path / "online" / path.name).read_bytes(), path


def test_lists_ranks_repeat_and_skip_ties_by_trakt_id(clean_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "l"
    _lists_online(clean_env, out)
    # Ranks 1, 2, 2, 4, 7, 7, 9, 12, 13: equal ranks by Trakt id (5001 before 5002).
    rank = _titles(out / "by-rank-asc.csv")
    assert rank[:3] == ["Zelig", "About Schmidt", "About a Boy"]
    assert _titles(out / "by-rank-desc.csv")[-3:] == ["About Schmidt", "About a Boy", "Zelig"]
    assert [line.split(",")[0] for line in _lines(out / "by-rank-asc.csv")[1:]] == [
        str(i) for i in range(1, 10)
    ]
    # random and unknown sorts: rank ascending.
    for other in ("by-random-asc.csv", "by-random-desc.csv", "by-mystery-desc.csv"):
        assert _titles(out / other) == rank, other
    title = _titles(out / "by-title-asc.csv")
    assert title[:3] == ["About a Boy", "About Schmidt", "Lost in Translation"]
    assert _titles(out / "by-title-desc.csv")[0] == "Éclair"
    # Released, newest first (Trakt's served order: the items carry only the year here).
    years = [line.split(",")[2] for line in _lines(out / "by-released-desc.csv")[1:]]
    assert years == sorted(years, key=lambda y: -int(y or 0))
    # Favorites by rank: ranks 1, 1, 3 -> Trakt id 5001 before 5002.
    assert _titles(out / "_favorites.csv") == ["About Schmidt", "About a Boy", "Zelig"]


def test_recomputed_order_wins_over_a_rank_ordered_zip(clean_env: Path, tmp_path: Path) -> None:
    """A ZIP whose list file is in rank order still gives the list's `title desc` order."""
    fake = _fake()
    archive = write_trakt_zip(fake, tmp_path / "z.zip", IMPORTED_USER, "flat")
    with zipfile.ZipFile(archive) as source:
        members = {n: source.read(n) for n in source.namelist()}
    name = next(n for n in members if "by-title-desc" in n)
    items = json.loads(members[name])
    members[name] = json.dumps(sorted(items, key=lambda i: (i["rank"], i["id"]))).encode()
    with zipfile.ZipFile(tmp_path / "ranked.zip", "w") as target:
        for member, body in members.items():
            target.writestr(member, body)
    result = run_lists(
        settings_for(clean_env),
        Options(output=str(tmp_path / "out"), zip_path=tmp_path / "ranked.zip"),
    )
    online = _lists_online(clean_env, tmp_path / "online")
    by_name = {p.name: p for p in online}
    for path in result.files:
        assert path.read_bytes() == by_name[path.name].read_bytes()


# ----- the fake ----------------------------------------------------------------------------


def test_fake_serves_list_items_in_the_lists_order(tmp_path: Path) -> None:
    fake = _fake()
    token = fake.issue_token(IMPORTED_USER).access_token
    headers = {
        "trakt-api-key": CLIENT,
        "trakt-api-version": "2",
        "User-Agent": "trakt-export-tests/1",
        "Authorization": f"Bearer {token}",
    }

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=fake.transport(), base_url=API) as api:
            return await api.get("/users/me/lists/by-released-desc/items/movie", headers=headers)

    response = asyncio.run(get())
    assert response.headers["X-Sort-By"] == "released"
    assert response.headers["X-Sort-How"] == "desc"
    years = [i["movie"]["year"] for i in response.json()]
    assert [y for y in years if y is not None] == sorted((y for y in years if y), reverse=True)
    assert years[-1] is None  # no release year: last
    ranks = [i["rank"] for i in response.json()]
    assert sorted(ranks) == [1, 2, 2, 4, 7, 7, 9, 12, 13]  # repeated and skipped


def test_fake_serves_a_film_object_without_any_id() -> None:
    fake = _fake()
    history = fake.user_json(IMPORTED_USER, "history")
    nameless = [e["movie"] for e in history if e["movie"]["title"] is None]
    assert nameless == [
        {"title": None, "year": None, "ids": dict.fromkeys(("trakt", "slug", "imdb", "tmdb"))}
    ]
    midnight = [e for e in history if e["watched_at"].endswith("T00:00:00.000Z")]
    assert {e["action"] for e in midnight} == {"watch", "scrobble", "checkin"}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_fake_zip_command_writes_an_export_the_exporter_reads(
    clean_env: Path, tmp_path: Path, layout: str
) -> None:
    target = tmp_path / f"{layout}.zip"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trakt_fake",
            "zip",
            "--dataset",
            "imported",
            "--layout",
            layout,
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ZIP {target}\n"
    online, offline = tmp_path / "online.csv", tmp_path / "offline.csv"
    _movies(clean_env, online)
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_EXPORT_MODE="history",
        TRAKT_EXPORT_EXPORT_TIMEZONE=ZONES["la"],
    )
    run_movies(settings, Options(output=str(offline), zip_path=target))
    assert offline.read_bytes() == online.read_bytes()


def test_fake_zip_command_refuses_unknown_layout_and_dataset(tmp_path: Path) -> None:
    for args in (["--layout", "weird"], ["--dataset", "nope"]):
        done = subprocess.run(
            [sys.executable, "-m", "trakt_fake", "zip", *args, "-o", str(tmp_path / "z.zip")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert not (tmp_path / "z.zip").exists()


# ----- small gaps --------------------------------------------------------------------------


def test_a_zip_lacking_several_needed_files_names_every_one(tmp_path: Path) -> None:
    archive = write_trakt_zip(
        _fake(),
        tmp_path / "cut.zip",
        IMPORTED_USER,
        "paged",
        errors=(),
        page_size=5,
    )
    with zipfile.ZipFile(archive) as source:
        kept = {
            n: source.read(n)
            for n in source.namelist()
            if not n.startswith("ratings-movies") and n != "watched-history-2.json"
        }
    with zipfile.ZipFile(tmp_path / "holes.zip", "w") as target:
        for name, body in kept.items():
            target.writestr(name, body)
    with pytest.raises(InputError) as caught:
        read_zip(tmp_path / "holes.zip", ("history/movies", "ratings/movies", "watchlist/movies"))
    assert caught.value.exit_code == 2
    message = caught.value.message
    assert message.endswith(
        "is an incomplete Trakt data export: no ratings-movies.json found; "
        "watched-history-2.json is missing (the pages of watched-history run to "
        "watched-history-4.json)."
    )


@pytest.mark.parametrize("public", [False, True], ids=["token", "public"])
def test_page_one_is_read_at_most_four_times_while_data_keeps_changing(
    clean_env: Path, public: bool
) -> None:
    world = World(clean_env, public=public)
    path = world.path("history/movies")

    def forever() -> None:
        new_plays(world.fake, USER, [1])()
        world.fake.faults.mutate_after(1, forever, path_prefix=path)

    forever()
    with pytest.raises(DataChangingError):
        world.export()
    firsts = [s for s in world.fake.stats.requests if s.path == path and s.query["page"] == "1"]
    assert len(firsts) == 1 + 3


# ----- --since last: Trakt's stamps, never our clock ---------------------------------------


def test_since_last_exports_a_rating_made_in_the_same_second_as_the_mark(
    clean_env: Path, tmp_path: Path
) -> None:
    fake = _fake()
    first = tmp_path / "1.csv"
    _movies(clean_env, first, since="last", fake=fake)
    assert "Éclair" not in first.read_text(encoding="utf-8")
    mark = json.loads(mark_path(clean_env, IMPORTED_USER).read_text())
    at = datetime.fromisoformat(mark["at"])
    user = fake.dataset.user(IMPORTED_USER)
    assert user is not None
    eclair = fake.dataset.films[5014]
    # Trakt stamps whole seconds: this rating is no later than the mark's microsecond time.
    user.ratings.append(Rating(at.replace(microsecond=0), 7, eclair))
    user.changed()
    second = tmp_path / "2.csv"
    _movies(clean_env, second, since="last", fake=fake)
    assert [line.split(",")[0] for line in _lines(second)[1:]] == ["Éclair"]
    third = tmp_path / "3.csv"
    _movies(clean_env, third, since="last", fake=fake)
    assert not third.exists()  # nothing new: no file
