"""The progress display tells the truth (SPEC §1): a recording rich console captures the screen
mid-run and at the end of a multi-endpoint export through the real stack and the fake."""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.test_engine import VirtualClock, make_fake, options, settings_for
from trakt_export.cli.display import RichObserver
from trakt_export.run.export import run_movies
from trakt_fake import large


class Capture(RichObserver):
    """The real display, plus a screen capture when the per-film requests begin (mid-run),
    where a scaled-down rate-limit pause is reported as the limiter would."""

    def __init__(self, clock: VirtualClock) -> None:
        screen = Console(file=io.StringIO(), width=100)
        super().__init__(screen, auto_refresh=False, wall=clock)
        self.clock = clock
        self.mid: str | None = None
        self.waiting: str | None = None
        self.until = 0.0

    def start(self, endpoint: str, total_pages: int) -> None:
        super().start(endpoint, total_pages)
        if endpoint == "people":  # the core's name for the per-film requests
            self.mid = self.snapshot()
            self.until = self.clock()  # scaled down: over by the next request's answer
            self.paused(self.until, "client-side limiter")
            self.waiting = self.snapshot()


def bars(screen: str) -> dict[str, tuple[int, int]]:
    found = {}
    for line in screen.splitlines():
        match = re.match(r"\s*(\S+)\s.*?(\d+)/(\d+)\s+(pages|films)", line)
        if match:
            found[match[1]] = (int(match[2]), int(match[3]))
    return found


def test_every_bar_reaches_its_total_and_the_wait_line_shows(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(large(), clock)
    token = fake.issue_token("big-user", lifetime=30 * 24 * 3600).access_token
    settings = settings_for(clean_env, token, TRAKT_EXPORT_EXPORT_DIRECTORS="all")
    observer = Capture(clock)
    run_movies(settings, options(fake.transport(), clock, observer=observer))
    end = bars(observer.snapshot())
    observer.close()
    people = sum(n for path, n in fake.stats.by_path.items() if path.endswith("/people"))
    assert end["directors"] == (people, people) and people > 250
    listings = {name: value for name, value in end.items() if name != "directors"}
    assert set(listings) == {"history", "ratings"}  # aggregated reads the history: SPEC §5 v2.2
    for done, total in listings.values():
        assert done == total >= 2  # page 1 counted on its bar: 2/2, never 1/2
    assert observer.mid is not None and observer.waiting is not None
    mid = bars(observer.mid)
    assert mid["directors"] == (0, people)  # the per-film bar appears, empty, with its total
    assert {name: mid[name] for name in listings} == listings  # the listings already complete
    moment = time.strftime("%H:%M:%S", time.localtime(observer.until))
    lines = [line.rstrip() for line in observer.waiting.splitlines()]
    assert lines[-1] == f"waiting for Trakt's rate limit until {moment}"
    assert "waiting for Trakt's rate limit" not in observer.mid + observer.snapshot()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def not_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI state as a run without -q leaves it (an earlier in-process run may have set it)."""
    from trakt_export.cli.console import STATE

    monkeypatch.setattr(STATE, "quiet", False)


@pytest.mark.usefixtures("not_quiet")
def test_no_display_when_csv_goes_to_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from trakt_export.cli.export import _options
    from trakt_export.progress import NullObserver

    monkeypatch.setattr(sys, "stderr", _Tty())
    monkeypatch.setattr(sys, "stdout", _Tty())
    assert isinstance(_options("-", None).observer, NullObserver)
    shown = _options("out.csv", None).observer
    assert isinstance(shown, RichObserver)
    shown.close()


@pytest.mark.usefixtures("not_quiet")
def test_without_a_terminal_a_long_pause_prints_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trakt_export.cli.export import PauseLineObserver

    observer = PauseLineObserver()
    observer.paused(time.time() + 5, "client-side limiter")  # short: nothing
    until = time.time() + 40
    observer.paused(until, "429 Too Many Requests")
    observer.paused(until, "429 Too Many Requests")  # the same pause: once
    moment = time.strftime("%H:%M:%S", time.localtime(until))
    assert capsys.readouterr().err == (
        f"waiting for Trakt's rate limit until {moment} (429 Too Many Requests)\n"
    )


def test_backup_shows_one_bar_per_kind_with_plain_names(clean_env: Path, tmp_path: Path) -> None:
    """Issue 21: not 21 bars named by raw API paths, 19 of them `1/1`."""
    from trakt_export.run.backup import run_backup
    from trakt_fake import edge

    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    screen = Console(file=io.StringIO(), width=100)
    observer = RichObserver(screen, auto_refresh=False, wall=clock)
    settings = settings_for(clean_env, token)
    target = tmp_path / "backup"
    run_backup(settings, options(fake.transport(), clock, observer=observer, output=str(target)))
    end = bars(observer.snapshot())
    observer.close()
    assert set(end) <= {
        "history", "watched", "ratings", "collection", "watchlist", "lists", "favorites",
        "comments", "playback", "hidden", "notes", "profile", "stats", "settings",
        "last activities",
    }  # fmt: skip
    assert {"history", "ratings", "watched", "collection"} <= set(end)
    assert all(done == total for done, total in end.values())
    assert end["ratings"][1] >= 4  # movies, shows, seasons, episodes add up on one bar
