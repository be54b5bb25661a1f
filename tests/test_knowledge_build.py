"""Building: refuses invalid knowledge, writes atomically, and the CLI reports clearly."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.__main__ import main
from bot.knowledge.build import BuildRefused, build
from bot.knowledge.store import TABLES, KnowledgeStore
from tests.test_knowledge_support import copy_minimal, read, write
from bot.paths import ROOT

TODAY = date(2026, 11, 22)


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    return copy_minimal(tmp_path / "knowledge")


def break_it(knowledge: Path) -> None:
    item = read(knowledge / "guidance" / "item_one.yml")
    del item["sources"]
    write(knowledge / "guidance" / "item_one.yml", item)


def test_build_writes_every_table_and_full_text_search(minimal: Path, tmp_path: Path) -> None:
    db = tmp_path / "out" / "knowledge.db"
    build(minimal, db, TODAY)
    with sqlite3.connect(db) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) <= names
    assert {"guidance_fts", "guides_fts"} <= names
    assert [p.name for p in db.parent.iterdir()] == ["knowledge.db"]  # no temporary file left behind


def test_build_refuses_invalid_knowledge_and_keeps_the_old_database(minimal: Path, tmp_path: Path) -> None:
    db = tmp_path / "knowledge.db"
    build(minimal, db, TODAY)
    before = db.read_bytes()
    break_it(minimal)
    with pytest.raises(BuildRefused) as refused:
        build(minimal, db, TODAY)
    assert any("item_one: sources: missing" in e for e in refused.value.report.errors)
    assert db.read_bytes() == before
    assert KnowledgeStore.open(db).item("item_one") is not None


def test_rebuild_replaces_the_database_while_a_reader_has_it_open(minimal: Path, tmp_path: Path) -> None:
    db = tmp_path / "knowledge.db"
    build(minimal, db, TODAY)
    reader = KnowledgeStore.open(db)
    item = read(minimal / "guidance" / "item_one.yml")
    item["title"] = "Item one, revised"
    write(minimal / "guidance" / "item_one.yml", item)
    build(minimal, db, TODAY)
    assert reader.item("item_one").title == "Item one"  # the open reader still sees a whole old build
    assert KnowledgeStore.open(db).item("item_one").title == "Item one, revised"
    assert KnowledgeStore.open(db).meta()["content_hash"] != reader.meta()["content_hash"]


def test_cli_check(minimal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--knowledge", str(minimal), "check"]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    break_it(minimal)
    assert main(["--knowledge", str(minimal), "check"]) == 1
    assert "item_one: sources: missing" in capsys.readouterr().err


def test_cli_build_refuses_and_writes_nothing(minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    break_it(minimal)
    out = tmp_path / "build" / "knowledge.db"
    assert main(["--knowledge", str(minimal), "build", "--out", str(out), "--spacy-out", str(tmp_path / "nlp")]) == 1
    assert "build refused" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "nlp").exists()


def test_cli_search(minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "knowledge.db"
    build(minimal, db, TODAY)
    assert main(["search", "test answer", "--db", str(db)]) == 0
    assert "item_one" in capsys.readouterr().out
    assert main(["search", "anything", "--db", str(tmp_path / "missing.db")]) == 1
    assert "python -m bot.knowledge build" in capsys.readouterr().err


def test_a_brief_build_summarises_the_content_past_its_review_date(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`make run` builds with --brief: one line for the stale items, which `check` lists."""
    knowledge = ROOT / "knowledge"
    args = ["--knowledge", str(knowledge), "build", "--out", str(tmp_path / "kb.db"),
            "--spacy-out", str(tmp_path / "nlp")]
    assert main(args + ["--brief"]) == 0
    brief = capsys.readouterr()
    assert main(["--knowledge", str(knowledge), "check"]) == 0
    listed = capsys.readouterr().err.count("past: stale")
    assert "warning:" not in brief.err and brief.out.count("\n") == 1
    assert listed == 0 or f"{listed} item(s) past their review date: `make knowledge-report` lists them" in brief.out
