"""A no-change run does only what it must (SPEC §7 v2.2, issue 20): after the first round
(last_activities + settings) the stored result of the last full run answers, no page is read
or parsed, and the text is delivered anew, byte-identical. Anything that could change the
text (a stamp, the account's settings, an option, the result's age) means a full, correct run.

The observables: the fake's request log, the run's metrics (per endpoint: cache hits, items
served, i.e. pages decoded) and the `-v` debug records (one per page the cache answers)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.schema import errors
from trakt_export.config import Settings, resolve
from trakt_export.run.backup import run_backup
from trakt_export.run.export import ExportResult, run_movies, run_watchlist
from trakt_export.run.report import build_report
from trakt_export.run.session import Options
from trakt_export.transport.client import CacheMode
from trakt_fake import FakeTrakt, edge, reality

CLIENT = "test-client"
USER = "edge-user"
ROUND = {"GET /sync/last_activities", "GET /users/settings"}
LISTINGS = ("/sync/history/movies", "/sync/ratings/movies", "/sync/watchlist/movies")


class Clock:
    """Wall seconds for the run and its caches; `sleep` only moves it (nothing really waits)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(edge(), client_id=CLIENT)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="trakt_export")
    yield caplog


def settings_for(home: Path, fake: FakeTrakt, user: str = USER, **env: str) -> Settings:
    token = fake.issue_token(user, lifetime=60 * 24 * 3600).access_token
    return resolve(
        env={
            "TRAKT_EXPORT_HOME": str(home),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_ACCESS_TOKEN": token,
            "TRAKT_EXPORT_EXPORT_MODE": "history",
            **env,
        }
    )


def movies(
    settings: Settings,
    fake: FakeTrakt,
    clock: Clock,
    out: Path | str,
    cache: CacheMode = "use",
    since: str | None = None,
) -> ExportResult:
    fake.stats.reset()
    options = Options(output=str(out), transport=fake.transport(), clock=clock, sleep=clock.sleep)
    options.cache_mode = cache
    return run_movies(settings, options, since)


def fresh(tmp_path: Path, fake: FakeTrakt, clock: Clock, name: str, **env: str) -> bytes:
    """What a run with no cache at all writes for the fake's state now (the reference)."""
    home = tmp_path / f"ref-{name}"
    home.mkdir()
    out = tmp_path / f"ref-{name}.csv"
    movies(settings_for(home, fake, **env), fake, clock, out, cache="off")
    return out.read_bytes()


def read_pages(result: ExportResult, records: list[logging.LogRecord]) -> int:
    """Pages the run read and decoded, from the network or the cache (0: none parsed)."""
    served = sum(result.stats.of(e).served for e in LISTINGS)
    hits = sum(result.stats.of(e).cache_hits for e in LISTINGS)
    logged = [r for r in records if "(cache hit)" in r.getMessage()]
    return served + hits + len(logged)


def full(result: ExportResult, fake: FakeTrakt) -> bool:
    """A full run: it asked Trakt for pages, or read them from the cache, past the round."""
    return set(fake.stats.by_path) != ROUND or result.stats.cache_hits > 1


def test_a_no_change_run_makes_only_the_round_parses_no_page_and_writes_the_same_bytes(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock, debug: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(clean_env, fake)
    out = tmp_path / "diary.csv"
    cold = movies(settings, fake, clock, out)
    first = out.read_bytes()
    assert cold.stats.requests > 2 and read_pages(cold, debug.records) > 0

    debug.clear()
    warm = movies(settings, fake, clock, out)
    assert set(fake.stats.by_path) == ROUND and fake.stats.total == warm.stats.requests == 2
    assert read_pages(warm, debug.records) == 0  # no page looked up, decoded or parsed
    assert out.read_bytes() == first
    assert warm.rows == cold.rows
    assert warm.stats.cache_hits == 1  # the stored result, said truthfully in the summary
    assert f"Exported {cold.rows} rows" in warm.summary()
    assert "2 HTTP requests, 1 cache hit" in warm.summary()


def test_a_removed_or_edited_output_is_written_again(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake, TRAKT_EXPORT_EXPORT_MAX_ROWS="5")
    out = tmp_path / "diary.csv"
    cold = movies(settings, fake, clock, out)
    assert len(cold.files) > 1  # split: every part comes back
    parts = {path: path.read_bytes() for path in cold.files}
    for path in cold.files:
        path.unlink()
    movies(settings, fake, clock, out)
    assert set(fake.stats.by_path) == ROUND
    assert {path: path.read_bytes() for path in cold.files} == parts
    cold.files[0].write_text("Title\nedited by hand\n")
    movies(settings, fake, clock, out)
    assert set(fake.stats.by_path) == ROUND
    assert {path: path.read_bytes() for path in cold.files} == parts


def test_the_stored_text_is_split_again_and_goes_to_stdout(
    clean_env: Path,
    tmp_path: Path,
    fake: FakeTrakt,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(clean_env, fake, TRAKT_EXPORT_EXPORT_MAX_ROWS="0")
    one = tmp_path / "one.csv"
    movies(settings, fake, clock, one)
    split = settings_for(clean_env, fake, TRAKT_EXPORT_EXPORT_MAX_ROWS="4")
    parts = movies(split, fake, clock, tmp_path / "split.csv")
    assert set(fake.stats.by_path) == ROUND and len(parts.files) > 1
    text = one.read_bytes().decode()
    header = text.splitlines(keepends=True)[0]
    joined = "".join(p.read_bytes().decode().removeprefix(header) for p in parts.files)
    assert header + joined == text
    capsys.readouterr()
    piped = movies(settings, fake, clock, "-")
    assert set(fake.stats.by_path) == ROUND and piped.to_stdout
    assert capsys.readouterr().out == text


def test_a_new_play_a_new_rating_or_a_new_timezone_means_a_full_correct_run(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake)
    out = tmp_path / "diary.csv"
    movies(settings, fake, clock, out)
    film = sorted(fake.dataset.films)[0]

    fake.add_history(USER, film, datetime(2031, 1, 2, 23, 30, tzinfo=UTC))
    played = movies(settings, fake, clock, out)
    assert full(played, fake)
    assert out.read_bytes() == fresh(tmp_path, fake, clock, "play")
    assert "2031-01-0" in out.read_text()

    fake.add_rating(USER, film, 3, datetime(2031, 2, 1, tzinfo=UTC))
    rated = movies(settings, fake, clock, out)
    assert full(rated, fake)
    assert out.read_bytes() == fresh(tmp_path, fake, clock, "rating")

    before = out.read_bytes()
    user = fake.dataset.user(USER)
    assert user is not None
    user.timezone = "Pacific/Kiritimati"  # settings only: no activity stamp moves (as on Trakt)
    user.changed()
    moved = movies(settings, fake, clock, out)
    assert full(moved, fake)
    assert out.read_bytes() == fresh(tmp_path, fake, clock, "zone") != before

    again = movies(settings, fake, clock, out)  # and the new result answers the next run
    assert not full(again, fake) and out.read_bytes() == fresh(tmp_path, fake, clock, "zone2")


@pytest.mark.parametrize(
    "option",
    [
        {"TRAKT_EXPORT_EXPORT_MODE": "aggregated"},
        {"TRAKT_EXPORT_EXPORT_TIMEZONE": "Asia/Tokyo"},
        {"TRAKT_EXPORT_EXPORT_INCLUDE_RATED_UNWATCHED": "false"},
        {"TRAKT_EXPORT_EXPORT_DATE_ONLY_MIDNIGHT": "false"},
        {"TRAKT_EXPORT_EXPORT_TAGS": "rewatch, trakt"},
        {"TRAKT_EXPORT_EXPORT_REVIEWS": "true"},
        {"TRAKT_EXPORT_EXPORT_DIRECTORS": "all"},
    ],
)
def test_an_option_that_shapes_the_text_means_a_full_correct_run(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock, option: dict[str, str]
) -> None:
    out = tmp_path / "diary.csv"
    movies(settings_for(clean_env, fake), fake, clock, out)
    changed = movies(settings_for(clean_env, fake, **option), fake, clock, out)
    assert full(changed, fake)
    assert out.read_bytes() == fresh(tmp_path, fake, clock, "opt", **option)


def test_since_date_is_in_the_key_and_since_last_always_reads(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake)
    out = tmp_path / "diary.csv"
    movies(settings, fake, clock, out)
    dated = movies(settings, fake, clock, out, since="2020-01-01")
    assert full(dated, fake)
    text = out.read_bytes()
    again = movies(settings, fake, clock, out, since="2020-01-01")
    assert not full(again, fake) and out.read_bytes() == text
    for _ in range(2):  # the mark moves every run: never answered by a stored text
        last = movies(settings, fake, clock, out, since="last")
        assert full(last, fake)


def test_refresh_no_cache_and_an_old_result_mean_a_full_run(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake, TRAKT_EXPORT_CACHE_TTL_HOURS="validated=2")
    out = tmp_path / "diary.csv"
    movies(settings, fake, clock, out)
    first = out.read_bytes()
    assert full(movies(settings, fake, clock, out, cache="refresh"), fake)
    assert full(movies(settings, fake, clock, out, cache="off"), fake)
    assert not full(movies(settings, fake, clock, out), fake)  # refresh stored it anew
    clock.now += 2 * 3600 + 1  # older than ttl_hours.validated: never trusted
    assert full(movies(settings, fake, clock, out), fake)
    assert out.read_bytes() == first


def test_directors_bound_the_result_by_the_people_ttl(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(
        clean_env,
        fake,
        TRAKT_EXPORT_EXPORT_DIRECTORS="all",
        TRAKT_EXPORT_CACHE_TTL_HOURS="people=1",
    )
    out = tmp_path / "diary.csv"
    movies(settings, fake, clock, out)
    assert not full(movies(settings, fake, clock, out), fake)
    clock.now += 3600 + 1
    people = movies(settings, fake, clock, out)
    assert any(path.endswith("/people") for path in fake.stats.by_path)
    assert people.stats.requests > 2


def test_the_data_warnings_are_said_again(
    clean_env: Path, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTrakt(reality(), client_id=CLIENT)
    settings = settings_for(clean_env, fake, "reality-user")
    out = tmp_path / "diary.csv"
    caplog.set_level(logging.WARNING, logger="trakt_export")
    movies(settings, fake, clock, out)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said, "the reality account has items the export skips (one warning line)"
    caplog.clear()
    movies(settings, fake, clock, out)
    assert set(fake.stats.by_path) == ROUND
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == said


def test_the_watchlist_is_answered_too_and_a_new_entry_is_read(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake)
    out = tmp_path / "watchlist.csv"

    def watchlist() -> ExportResult:
        fake.stats.reset()
        options = Options(output=str(out), transport=fake.transport(), clock=clock)
        return run_watchlist(settings, options)

    cold = watchlist()
    first = out.read_bytes()
    warm = watchlist()
    assert set(fake.stats.by_path) == ROUND and out.read_bytes() == first
    assert warm.rows == cold.rows and warm.note == cold.note
    user = fake.dataset.user(USER)
    assert user is not None
    listed = {getattr(entry.item, "trakt", None) for entry in user.watchlist}
    film = next(f for f in sorted(fake.dataset.films) if f not in listed)
    fake.add_watchlist(USER, film)
    grown = watchlist()
    assert "GET /sync/watchlist/movies" in fake.stats.by_path
    assert grown.rows == cold.rows + 1


def test_public_mode_and_the_zip_never_store_nor_answer(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = resolve(
        env={
            "TRAKT_EXPORT_HOME": str(clean_env),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_USERNAME": USER,
        }
    )
    out = tmp_path / "public.csv"
    for _ in range(2):
        run_movies(settings, Options(output=str(out), transport=fake.transport(), clock=clock))
    assert out.exists()
    assert not (settings.paths.data_dir / "results").exists()


def test_a_warm_backup_reads_the_profile_only_when_the_settings_user_changed(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake, TRAKT_EXPORT_CACHE_TTL_HOURS="validated=2")
    profile = "GET /users/me"

    def backup(name: str) -> dict[str, object]:
        fake.stats.reset()
        options = Options(output=str(tmp_path / name), transport=fake.transport(), clock=clock)
        run_backup(settings, options, datetime(2030, 1, 1, tzinfo=UTC))
        loaded = json.loads((tmp_path / name / "profile.json").read_text())
        assert isinstance(loaded, dict)
        return loaded

    first = backup("one")
    assert backup("two") == first
    assert set(fake.stats.by_path) == ROUND | {"GET /users/me/stats"}  # SPEC §7: at most 3
    user = fake.dataset.user(USER)
    assert user is not None
    user.name = "Someone Renamed"  # no activity stamp moves; the settings answer's user does
    user.changed()
    assert backup("three")["name"] == "Someone Renamed"
    assert fake.stats.by_path[profile] == 1
    backup("four")
    assert profile not in fake.stats.by_path
    clock.now += 2 * 3600 + 1  # past ttl_hours.validated: never trusted
    assert backup("five")["name"] == "Someone Renamed"
    assert fake.stats.by_path[profile] == 1


def test_rendering_during_the_recheck_says_the_zone_warning_once(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    user = fake.dataset.user(USER)
    assert user is not None
    user.timezone = "Not/AZone"
    user.changed()
    settings = settings_for(clean_env, fake)
    caplog.set_level(logging.WARNING, logger="trakt_export")
    films = sorted(fake.dataset.films)
    # a change under the run: the CSV rendered during the re-check is dropped, rendered again
    fake.faults.mutate_after(
        1, lambda: fake.add_history(USER, films[0], datetime(2031, 5, 5, tzinfo=UTC)),
        path_prefix="/sync/history/movies",
    )  # fmt: skip
    out = tmp_path / "diary.csv"
    movies(settings, fake, clock, out)
    zone = [r for r in caplog.records if "not a known IANA zone" in r.getMessage()]
    assert len(zone) == 1
    assert fake.stats.by_path["GET /sync/last_activities"] >= 3  # round, re-check, re-check
    fake.faults.clear()
    assert out.read_bytes() == fresh(tmp_path, fake, clock, "zone")


def test_the_report_of_an_answered_run_is_valid_and_truthful(
    clean_env: Path, tmp_path: Path, fake: FakeTrakt, clock: Clock
) -> None:
    settings = settings_for(clean_env, fake)
    out = tmp_path / "diary.csv"
    cold = movies(settings, fake, clock, out)
    warm = movies(settings, fake, clock, out)
    document = build_report("movies", 0, 0.0, 1.0, warm.stats)
    schema = json.loads((Path(__file__).parent / "report_schema.json").read_text())
    assert errors(document, schema) == []
    assert document["totals"]["requests"] == 2 and document["totals"]["cache_hits"] == 1
    assert document["totals"]["date_only_plays"] == cold.stats.date_only_plays
