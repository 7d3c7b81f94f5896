"""docs/security.md names, for each control, the tests that prove it: every one of them must
exist, so the page cannot go on citing a test that was renamed or deleted."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", PAGE.read_text(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_security_page_cites_exists():
    cited = REFERENCE.findall(PAGE.read_text())
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not (ROOT / path).is_file() or name not in _tests_in(ROOT / path)
    ]

    assert len(cited) >= 60
    assert missing == []


def test_every_control_on_the_page_cites_at_least_one_test():
    sections = _sections()

    assert len(sections) >= 10
    assert [name for name, text in sections.items() if not REFERENCE.search(text)] == []
