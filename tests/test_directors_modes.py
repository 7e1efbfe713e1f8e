"""Directors where they matter (SPEC §5): `missing` asks only for id-less films; `all` shows
per-film progress and resumes through the cache after an interruption."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_golden import CLIENT, check, settings_for
from trakt_export.errors import TraktExportError
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge, large


class Recorder:
    def __init__(self) -> None:
        self.started: dict[str, int] = {}
        self.advanced: dict[str, int] = {}
        self.pauses: list[tuple[float, str]] = []

    def start(self, endpoint: str, total_pages: int) -> None:
        self.started[endpoint] = total_pages

    def advance(self, endpoint: str, pages: int = 1) -> None:
        self.advanced[endpoint] = self.advanced.get(endpoint, 0) + pages

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        return None

    def paused(self, until: float, reason: str) -> None:
        self.pauses.append((until, reason))


def people_paths(fake: FakeTrakt) -> list[str]:
    return [s.path for s in fake.stats.requests if s.path.endswith("/people")]


def test_missing_on_the_large_set_asks_only_for_id_less_films(
    clean_env: Path, tmp_path: Path
) -> None:
    fake = FakeTrakt(large(), client_id=CLIENT)
    token = fake.issue_token("big-user").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_DIRECTORS="missing"
    )
    run_movies(settings, Options(output=str(tmp_path / "m.csv"), transport=fake.transport()))
    films = {
        item["movie"]["ids"]["trakt"]: item["movie"]["ids"]
        for endpoint in ("watched/movies", "ratings/movies")
        for item in fake.user_json("big-user", endpoint)
        if item.get("movie")
    }
    id_less = {t for t, ids in films.items() if not ids.get("imdb") and not ids.get("tmdb")}
    assert id_less  # the large set has some
    assert sorted(people_paths(fake)) == sorted(f"/movies/{t}/people" for t in id_less)


def test_missing_golden_edge(clean_env: Path, tmp_path: Path, update_goldens: bool) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_DIRECTORS="missing"
    )
    out = tmp_path / "missing.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    check(out, "edge-aggregated-directors-missing.csv", update_goldens)
    assert people_paths(fake) == ["/movies/10/people"]  # Basement Tapes: no IMDb, no TMDB id


def test_all_resumes_through_the_cache_with_progress(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=token,
        TRAKT_EXPORT_EXPORT_DIRECTORS="all",
    )
    fake.access.status_for("/movies/12/people", 403)  # interrupts the run at film 12
    with pytest.raises(TraktExportError):
        run_movies(settings, Options(output=str(tmp_path / "a.csv"), transport=fake.transport()))
    first = people_paths(fake)
    assert "/movies/12/people" in first
    fake.access.clear()
    fake.stats.reset()
    recorder = Recorder()
    options = Options(output=str(tmp_path / "b.csv"), transport=fake.transport())
    options.observer = recorder
    run_movies(settings, options)
    second = people_paths(fake)
    assert "/movies/12/people" in second
    done = set(first) - {"/movies/12/people"}
    assert done and not done & set(second)  # the films already cached are not asked again
    total = len(done | set(second))
    assert recorder.started["people"] == total
    assert recorder.advanced["people"] == total  # per film, cached ones included


def test_all_over_600_films_stays_within_the_real_budget(clean_env: Path, tmp_path: Path) -> None:
    """600 films: past the 500-request window. (2,000 films pass the same way, measured once:
    14 s of test time, too slow to keep in the suite.)"""
    from tests.test_engine import VirtualClock, make_fake
    from trakt_fake import sized

    clock = VirtualClock()
    fake = make_fake(sized(1800), clock)
    fake.faults.account_budget()  # Trakt's real 500 GETs per 5 minutes
    token = fake.issue_token("bench").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_DIRECTORS="all"
    )
    recorder = Recorder()
    started = clock.now
    options = Options(
        output=str(tmp_path / "all.csv"),
        transport=fake.transport(),
        sleep=clock.sleep,
        clock=clock,
        observer=recorder,
    )
    run_movies(settings, options)
    people = len(people_paths(fake))
    assert people == recorder.started["people"] == recorder.advanced["people"] >= 600
    assert fake.stats.served_429 == 0 and fake.stats.budget_refused == 0
    assert clock.now - started > 300  # paced over more than one 5-minute window
    # the wait is shown (SPEC §1): the limiter reported a pause ending in the future
    assert recorder.pauses and max(until for until, _ in recorder.pauses) > started + 60
