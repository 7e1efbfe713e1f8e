"""Run metrics (metrics.py), `--report PATH` (report.py) and `-v` request lines, through the CLI
against the loopback fake: the report's figures equal what the fake counted."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.schema import errors
from trakt_export.auth.tokens import Token, TokenStore
from trakt_export.cli.app import app, hoist_global_options
from trakt_export.config import resolve
from trakt_export.run.report import recent_runs
from trakt_export.transport.metrics import duration, endpoint_of, percentile, plural
from trakt_fake import FakeTrakt, edge

CLIENT = "test-client"
SECRET = "s3cret-client-secret"
SCHEMA = json.loads((Path(__file__).parent / "report_schema.json").read_text())
runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrakt]:
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_AUTH_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_SECRET", SECRET)
        monkeypatch.setenv("TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS", "0")
        yield fake


def login(fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> str:
    token = fake.issue_token("edge-user").access_token
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", token)
    return token


def report(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    assert errors(document, SCHEMA) == []
    return document


def by_endpoint(fake: FakeTrakt) -> Counter[str]:
    counted: Counter[str] = Counter()
    for key, count in fake.stats.by_path.items():
        counted[endpoint_of(key.split(" ", 1)[1])] += count
    return counted


def test_report_of_a_faulty_run_equals_what_the_fake_counted(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login(served, monkeypatch)
    served.faults.fail_next(2, 503)
    served.faults.force_429(1, retry_after=0)
    target = tmp_path / "run.json"
    result = runner.invoke(app, ["--report", str(target), "movies", "--mode", "history"])
    assert result.exit_code == 0, result.stderr
    document = report(target)
    assert document["command"] == "movies" and document["exit_code"] == 0
    totals = document["totals"]
    assert totals["requests"] == served.stats.total
    assert totals["rate_limited"] == served.stats.served_429 == 1
    assert totals["retries"] == served.stats.by_status[503] + served.stats.served_429 == 3
    figures = document["endpoints"]
    assert {name: f["requests"] for name, f in figures.items()} == dict(by_endpoint(served))
    history = figures["/sync/history/movies"]
    assert history["latency_ms"]["max"] >= history["latency_ms"]["p95"] >= 0
    assert history["items_announced"] == history["items_served"] > 0
    assert history["bytes"] > 0
    assert "3 retries" in result.stderr


def test_report_of_a_failed_run_has_its_exit_code_and_the_fakes_counts(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Public mode: the watchlist is one request, so no other request is cancelled in flight
    # (a send cancelled by the run's failure may or may not have reached Trakt).
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "edge-user")
    monkeypatch.setenv("TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS", "2")
    served.faults.fail_next(100, 503)
    target = tmp_path / "run.json"
    result = runner.invoke(app, ["--report", str(target), "watchlist"])
    assert result.exit_code == 4
    document = report(target)
    assert document["exit_code"] == 4 and document["command"] == "watchlist"
    assert document["totals"]["requests"] == served.stats.total > 0
    assert document["totals"]["requests"] == 2  # two tries of the first request, then exit 4
    assert document["totals"]["retries"] == 1


def test_cache_hits_are_counted_and_a_run_without_trakt_writes_no_report(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "edge-user")
    assert runner.invoke(app, ["watchlist"]).exit_code == 0
    target = tmp_path / "run.json"
    result = runner.invoke(app, ["--report", str(target), "watchlist"])
    assert result.exit_code == 0, result.stderr
    assert report(target)["totals"]["cache_hits"] >= 1
    assert "cache hit" in result.stderr
    assert (
        runner.invoke(app, ["--report", str(tmp_path / "no.json"), "config", "path"]).exit_code == 0
    )
    assert not (tmp_path / "no.json").exists()


def test_runs_leave_their_429_record_in_the_data_dir(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    login(served, monkeypatch)
    served.faults.force_429(2, retry_after=0)
    assert runner.invoke(app, ["watchlist"]).exit_code == 0
    (run,) = recent_runs(resolve().paths.data_dir)
    assert run["command"] == "watchlist" and run["rate_limited"] == 2


def test_verbose_logs_each_request_and_never_a_secret(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    settings = resolve()
    issued = served.issue_token("edge-user", 1)  # expired at once: the run refreshes it
    token = Token(issued.access_token, issued.refresh_token, int(time.time()) - 10, 1, "edge-user")
    TokenStore(settings.paths.token_file).save(token)
    served.faults.fail_next(1, 503, path_prefix="/sync/history")
    result = runner.invoke(app, ["-v", "movies", "--mode", "history"])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    sends = [line for line in lines if "(cache miss, attempt" in line]
    assert len(sends) == served.stats.total  # the token refresh included
    assert any(
        line.startswith("GET /sync/history/movies?") and " 503 " in line and "attempt 1" in line
        for line in sends
    )
    assert any("attempt 2" in line for line in sends)
    assert any(line.startswith("retry 1/") for line in lines)
    saved = TokenStore(settings.paths.token_file).load()
    assert saved is not None
    for secret in (issued.access_token, issued.refresh_token, saved.access_token, SECRET):
        assert secret not in result.stderr


def test_global_options_after_the_command_are_hoisted() -> None:
    assert hoist_global_options(["movies", "-v", "-o", "-", "--report", "r.json"]) == [
        "-v",
        "--report",
        "r.json",
        "movies",
        "-o",
        "-",
    ]
    assert hoist_global_options(["--config", "c.toml", "cache", "stats", "-q"]) == [
        "-q",
        "--config",
        "c.toml",
        "cache",
        "stats",
    ]
    assert hoist_global_options(["movies", "--tags", "x", "--", "-v"]) == [
        "movies",
        "--tags",
        "x",
        "--",
        "-v",
    ]


def test_global_options_after_the_command_through_main(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from trakt_export.cli.app import main

    config = tmp_path / "elsewhere.toml"
    with pytest.raises(SystemExit) as done:
        main(["config", "path", "-q", "--config", str(config)])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == str(config)


def test_percentiles_are_computed_from_every_sample() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_plurals_durations_and_endpoint_names() -> None:
    assert plural(1, "cache hit") == "1 cache hit"
    assert plural(0, "retry", "retries") == "0 retries"
    assert duration(23 * 3600 + 100) == "23 h"
    assert duration(3 * 86400) == "3 days"
    assert duration(30) == "30 s"
    assert endpoint_of("/movies/42/people") == "/movies/{id}/people"
    assert endpoint_of("/users/edge-user/watchlist/movies") == "/users/{user}/watchlist/movies"
    assert endpoint_of("/users/settings") == "/users/settings"
    assert endpoint_of("/sync/history/movies") == "/sync/history/movies"


def test_pauses_and_retries_are_counted_per_endpoint_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from trakt_export.progress import NullObserver
    from trakt_export.transport.metrics import _ENDPOINT, Metrics, MetricsObserver

    metrics = Metrics(wall=lambda: 1000.0)
    observer = MetricsObserver(NullObserver(), metrics)
    token = _ENDPOINT.set("/sync/history/movies")
    try:
        with caplog.at_level("DEBUG", logger="trakt_export"):
            observer.paused(1030.0, "429 Too Many Requests (Retry-After)")
            observer.retrying(1, 2.5, "HTTP 503")
    finally:
        _ENDPOINT.reset(token)
    figures = metrics.as_dict()["/sync/history/movies"]
    assert figures["paused_seconds"] == 32.5
    assert figures["retries"] == {"HTTP 503": 1}
    moment = time.strftime("%H:%M:%S", time.localtime(1030.0))
    assert f"pause until {moment} (30.0 s): 429 Too Many Requests (Retry-After)" in caplog.text
