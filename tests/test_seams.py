"""The seams of the package: the core never reaches into the CLI, and imports have no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "trakt_export"
CLI_MODULES = {"trakt_export.cli", "trakt_export.console", "trakt_export.display"}
ENTRY = "trakt_export.__main__"  # `python -m trakt_export` is the CLI itself


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules of the package imported at run time (module level or inside functions), leaving
    out `if TYPE_CHECKING:` blocks, which never run."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("trakt_export")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trakt_export"):
            found.add(str(node.module))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _runtime_imports(path) if m in modules and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            # a package importing its own submodules (fake/__init__) is not a cycle of modules
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_core_module_imports_the_cli_typer_or_rich() -> None:
    graph = _graph()
    core = {
        name
        for name in graph
        if name not in CLI_MODULES | {ENTRY} and not name.startswith("trakt_export.commands")
    }
    for name in sorted(core):
        assert not (graph[name] & CLI_MODULES), f"{name} imports the CLI"
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
        text = path.read_text()
        assert "import typer" not in text and "from typer" not in text, name
        assert "import rich" not in text and "from rich" not in text, name


def test_an_export_run_from_python_leaves_typer_and_rich_unimported(tmp_path: Path) -> None:
    script = f"""
import sys
from trakt_export.config import resolve
from trakt_export.export import run_movies
from trakt_export.fake import FakeTrakt, edge
from trakt_export.session import Options

fake = FakeTrakt(edge(), client_id="test-client")
token = fake.issue_token("edge-user", lifetime=10**8).access_token
settings = resolve(env={{
    "TRAKT_EXPORT_HOME": {str(tmp_path)!r},
    "TRAKT_EXPORT_CLIENT_ID": "test-client",
    "TRAKT_EXPORT_ACCESS_TOKEN": token,
}})
result = run_movies(settings, Options(output={str(tmp_path / "out.csv")!r},
                                      transport=fake.transport()))
assert result.rows > 0
print(sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "rich", "click")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
