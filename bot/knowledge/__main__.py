"""Command line: `python -m bot.knowledge build | check | verify [DB] | search "query"`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.knowledge.build import BuildRefused, build
from bot.knowledge.store import KnowledgeStore, KnowledgeUnavailable
from bot.knowledge.validate import validate
from bot.paths import KNOWLEDGE_DB, KNOWLEDGE_DIR, ROOT


def _print_report(errors: list[str], warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def write_questions(db: Path, out: Path) -> None:
    """The topics' example questions as NLU training data (rewritten only when they changed,
    so that an unchanged build never looks like new training data)."""
    from bot.topics import nlu_training_data  # scikit-learn: only when building

    store = KnowledgeStore.open(db)
    try:
        text = nlu_training_data(store.guidance())
    finally:
        store.close()
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def write_topic_vectors(db: Path, brief: bool) -> None:
    """The topics' documents as sentence vectors, beside the database (bot/topics.py); only
    the documents that changed are encoded (all of them, about 20 s, the first time). The
    project's own vectors are reused for a database built elsewhere (the tests')."""
    from bot.embedding import load_encoder
    from bot.topics import vectors_path, write_vectors

    encoder = load_encoder()
    if encoder is None:
        print("warning: no sentence model installed: topics will be ranked on words alone", file=sys.stderr)
        return
    store = KnowledgeStore.open(db)
    try:
        encoded = write_vectors(store, encoder, reuse=[vectors_path(KNOWLEDGE_DB)])
    finally:
        store.close()
    if encoded and not brief:
        print(f"encoded {encoded} topic document(s) into {vectors_path(db).name}")


def write_triage_questions(knowledge_dir: Path, domain: Path) -> None:
    """The triage questions' responses in the domain's generated block (bot/triage_domain.py)."""
    from bot import triage_domain
    from bot.triage import load_rubric
    from bot.triage_flow import load_questions

    rubric = load_rubric(knowledge_dir / "triage" / "rubric.yml", knowledge_dir)
    if triage_domain.write(domain, load_questions(knowledge_dir / "triage" / "questions.yml", rubric)):
        print(f"rewrote the triage questions in {domain.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.knowledge", description=__doc__)
    parser.add_argument("--knowledge", type=Path, default=KNOWLEDGE_DIR, help="the knowledge directory")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="validate, then build the database and the spaCy pipeline")
    build_cmd.add_argument("--out", type=Path, default=KNOWLEDGE_DB)
    build_cmd.add_argument("--spacy-out", type=Path, default=ROOT / "build" / "spacy_en_neglect")
    build_cmd.add_argument("--nlu-out", type=Path, default=ROOT / "data" / "nlu" / "questions.yml",
                           help="where to write the topics' example questions as NLU training data")
    build_cmd.add_argument("--domain", type=Path, default=None,
                           help="the domain whose generated block holds the triage questions "
                                "(default: domain.yml, when building this project's knowledge folder)")
    build_cmd.add_argument("--brief", action="store_true",
                           help="one line for the content past its review date (`check` lists it)")
    commands.add_parser("check", help="validate only; exit 1 on errors, print warnings")
    verify_cmd = commands.add_parser("verify", help="check that a built database opens; exit 1 naming the fix if not")
    verify_cmd.add_argument("db", type=Path, nargs="?", default=KNOWLEDGE_DB)
    search_cmd = commands.add_parser("search", help="full-text search the built database")
    search_cmd.add_argument("query")
    search_cmd.add_argument("--db", type=Path, default=KNOWLEDGE_DB)
    args = parser.parse_args(argv)

    if args.command == "check":
        report = validate(args.knowledge, date.today())
        _print_report(report.errors, report.warnings)
        print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        return 1 if report.errors else 0
    if args.command == "build":
        try:
            report = build(args.knowledge, args.out, date.today())
        except BuildRefused as refused:
            _print_report(refused.report.errors, refused.report.warnings)
            print(f"build refused: {len(refused.report.errors)} error(s); nothing written", file=sys.stderr)
            return 1
        if not args.brief:
            _print_report([], report.warnings)
        from bot.spacy_pipeline import build_pipeline  # spaCy loads slowly: only when building

        build_pipeline(args.knowledge, args.spacy_out)
        write_questions(args.out, args.nlu_out)
        write_topic_vectors(args.out, args.brief)
        from bot.triage_domain import DOMAIN

        domain = args.domain or (DOMAIN if args.knowledge.resolve() == KNOWLEDGE_DIR.resolve() else None)
        if domain is not None:
            write_triage_questions(args.knowledge, domain)
        if args.brief:
            past = f"; {len(report.warnings)} item(s) past their review date: `make knowledge-report` lists them"
            print(f"built {args.out.name} and {args.spacy_out.name}{past if report.warnings else ''}")
        else:
            print(f"built {args.out} and {args.spacy_out} ({len(report.warnings)} warning(s))")
        return 0
    try:
        store = KnowledgeStore.open(args.db)
    except KnowledgeUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "verify":
        stale = store.stale(date.today())
        print(f"{args.db}: ok ({len(stale)} item(s) past their review date)")
        store.close()
        return 0
    for hit in store.search(args.query):
        print(f"{hit.score:8.2f}  {hit.kind:8}  {hit.id}: {hit.title}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
