"""The film path as one pipeline: every enricher on, through the CLI against the fake; each
enricher's step runs once and the CSV is byte-identical to its golden."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_golden import check
from trakt_export.cli.app import app
from trakt_fake import FakeTrakt, edge
from trakt_fake.records import utc
from trakt_fake.zipexport import write_export_zip

ALL_ON = [
    "movies",
    "--mode",
    "history",
    "--reviews",
    "--tags",
    "x",
    "--since",
    "last",
    "--directors",
    "all",
]


def test_every_enricher_once_and_the_golden(
    served: FakeTrakt,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    update_goldens: bool,
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", served.issue_token("edge-user").access_token)
    runner = CliRunner()
    first = runner.invoke(app, [*ALL_ON, "-o", "night-1.csv"])
    assert first.exit_code == 0, first.stderr
    # New plays since the first run's mark: a play logged with an old date, a rewatch.
    served.add_history("edge-user", 1, utc(2023, 1, 5, 20))
    served.add_history("edge-user", 23, utc(2024, 3, 1, 20))
    caplog.set_level(logging.DEBUG, logger="trakt_export.letterboxd.enrichers")
    caplog.clear()
    second = runner.invoke(app, [*ALL_ON, "-o", "night-2.csv"])
    assert second.exit_code == 0, second.stderr
    check(tmp_path / "night-2.csv", "edge-history-all-enrichers.csv", update_goldens)
    steps = [
        r.getMessage().split()[1].rstrip(":")
        for r in caplog.records
        if r.name == "trakt_export.letterboxd.enrichers" and r.getMessage().startswith("step ")
    ]
    assert sorted(steps) == ["directors", "reviews", "since", "tags"]


def test_one_collector_the_summary_and_the_report_count_the_same(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", served.issue_token("edge-user").access_token)
    runner = CliRunner()
    for _ in range(2):  # cold, then warm (cache hits)
        result = runner.invoke(app, ["--report", "r.json", "movies", "--directors", "all"])
        assert result.exit_code == 0, result.stderr
        totals = json.loads((tmp_path / "r.json").read_text())["totals"]
        tail = (
            f"{totals['requests']} HTTP requests, {totals['cache_hits']} cache hit"
            f"{'' if totals['cache_hits'] == 1 else 's'}, {totals['retries']} retries"
        )
        assert tail in result.stderr
        assert totals["requests"] == served.stats.total  # every real send, counted once
        served.stats.reset()
    assert totals["cache_hits"] > 0


def test_directors_from_a_zip_keep_the_column_empty_with_one_warning(tmp_path: Path) -> None:
    archive = write_export_zip(edge(), "edge-user", tmp_path / "e.zip", "root")
    result = CliRunner().invoke(
        app, ["movies", "--from-zip", str(archive), "--directors", "all", "-o", "d.csv"]
    )
    assert result.exit_code == 0, result.stderr
    table = list(csv.reader(io.StringIO((tmp_path / "d.csv").read_text(), newline="")))
    assert table[0][-1] == "Directors" and len(table) > 2
    assert all(row[-1] == "" for row in table[1:])  # the source's answer: no names known
    warned = [line for line in result.stderr.splitlines() if "Directors column" in line]
    assert warned == [
        "Warning: Trakt's export ZIP holds no directors: the Directors column stays empty "
        "(--directors needs the Trakt API)."
    ]
