"""Every request/response extension key lives in `transport/extensions.py` (issue 19): no other
module of the package spells one as a bare string, so a renamed key cannot leave a reader behind."""

from __future__ import annotations

import ast
from pathlib import Path

from trakt_export.transport import extensions

PACKAGE = Path(extensions.__file__).resolve().parent.parent
KEYS = {
    extensions.HINT,
    extensions.ATTEMPT,
    extensions.FROM_CACHE,
    extensions.DEFERRED,
    extensions.PARSED_JSON,
    extensions.ATTEMPTS,
}


def spelled_keys(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants used as extension keys: `x.extensions[...]`, `x.extensions.get(...)`,
    `extensions={...: ...}`, or any string equal to one of our keys (but the hint's, which is
    also the package's logger name)."""
    found: list[tuple[int, str]] = []

    def on_extensions(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "extensions"

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and on_extensions(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.append((node.lineno, key.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if on_extensions(owner) and node.args and isinstance(node.args[0], ast.Constant):
                found.append((node.lineno, str(node.args[0].value)))
            for keyword in node.keywords:
                if keyword.arg == "extensions" and isinstance(keyword.value, ast.Dict):
                    for entry in keyword.value.keys:
                        if isinstance(entry, ast.Constant):
                            found.append((node.lineno, str(entry.value)))
        elif isinstance(node, ast.Constant) and node.value in KEYS - {extensions.HINT}:
            found.append((node.lineno, str(node.value)))
    return found


def test_no_module_but_extensions_spells_an_extension_key() -> None:
    spelled = {
        f"{path.relative_to(PACKAGE)}:{line}: {key!r}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "extensions.py"
        for line, key in spelled_keys(ast.parse(path.read_text()))
    }
    assert spelled == set()


def test_the_check_finds_a_bare_key() -> None:
    code = (
        'a = response.extensions.get("from_cache")\n'
        'b = request.extensions["trakt_export"]\n'
        'c = http.get("/x", extensions={"trakt_export": hint})\n'
        'd = "trakt_export_json"\n'
    )
    assert sorted({line for line, _ in spelled_keys(ast.parse(code))}) == [1, 2, 3, 4]


def test_the_typed_dicts_name_every_key() -> None:
    request = set(extensions.RequestExtensions.__annotations__)
    response = set(extensions.ResponseExtensions.__annotations__)
    assert request | response == KEYS
    assert not request & response
    assert all(key.startswith("trakt_export") for key in KEYS)  # never one of httpx's own
