"""Where the project's files are, worked out once.

`KNOWLEDGE_DIR` is the one setting that names the knowledge folder (default:
`knowledge/` of this checkout) and `KNOWLEDGE_DB` the database built from it
(default: `build/knowledge.db`). Both are read when the process starts, whatever
directory Rasa or the action server was started from.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR: Final = Path(os.environ.get("KNOWLEDGE_DIR") or ROOT / "knowledge")
KNOWLEDGE_DB: Final = Path(os.environ.get("KNOWLEDGE_DB") or ROOT / "build" / "knowledge.db")
