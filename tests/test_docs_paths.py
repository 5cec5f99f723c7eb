"""Docs follow the code: every path of the tree that a doc names (`hub/forwarding/ledger.py`, `connectors/sql/`)
exists, so a move that leaves docs/concepts.md or a README behind fails here, not in a newcomer's hands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = ("hub", "connectors", "simpul", "tests", "bench")  # the code: modules (.py) and folders (ending in /)
PATH = re.compile(r"(?<![\w/.-])((?:" + "|".join(TOP) + r")/(?:[\w-]+/)*(?:[\w-]+\.py|))(?![\w*@-])")
# Paths a walkthrough asks the reader to create, not ones the tree has.
EXAMPLES = {"tests/test_contract.py"}  # docs/connectors.md: the reader's own contract test


def _docs() -> list[Path]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return docs + sorted(p for top in TOP for p in (ROOT / top).rglob("README.md") if "node_modules" not in p.parts)


def test_every_path_a_doc_names_exists() -> None:
    missing = []
    for doc in _docs():
        for number, line in enumerate(doc.read_text("utf-8").splitlines(), 1):
            for path in PATH.findall(line):
                if path not in EXAMPLES and not (ROOT / path).exists():
                    missing.append(f"{doc.relative_to(ROOT)}:{number}: {path}")
    assert not missing, "\n".join(missing)


def test_the_check_sees_a_path_that_is_gone() -> None:
    assert PATH.findall("the ledger (`hub/forwarding/ledger.py:12`) and hub/forwarding/ledger.py") == [
        "hub/forwarding/ledger.py", "hub/forwarding/ledger.py"]
