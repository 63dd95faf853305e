"""DESIGN §2: dependencies point one way, so each app can be read and tested from the bottom up.

core <- licensing <- suppliers <- notifications: an app may import only the apps below it.
Imports inside functions count too (every import statement is read, not only the top ones).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["core", "licensing", "suppliers", "notifications"]
ALLOWED = {app: set(LAYERS[: i + 1]) for i, app in enumerate(LAYERS)}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app])
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and imported_apps(path) - ALLOWED[app]
    }
    assert offending == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from notifications.models import Alert\n")
    assert imported_apps(module) == {"notifications"}
