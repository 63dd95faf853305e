"""Dependencies point one way, in imports and in the schema (docs/architecture.md, "Layers"):

core <- suppliers <- licensing <- shipments <- exposure <- notifications <- portal <- demo. An app
may import, point a foreign key at, or make a migration depend on only itself and the apps below it. Imports inside
functions count too (every import statement is read, not only the top ones).
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["core", "suppliers", "licensing", "shipments", "exposure", "notifications", "portal", "demo"]
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


def upward_foreign_keys(models) -> list[str]:
    """``app.Model.field -> app.Model`` for every relation that points to a higher layer."""
    found = []
    for model in models:
        app = model._meta.app_label
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation or not field.concrete or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in LAYERS and target not in ALLOWED[app]:
                found.append(f"{app}.{model.__name__}.{field.name} -> {target}.{field.related_model.__name__}")
    return found


def upward_migration_dependencies(graph_nodes, dependencies) -> list[str]:
    """``app.migration -> app.migration`` for every dependency on a higher layer's migration."""
    found = []
    for app, name in graph_nodes:
        if app not in LAYERS:
            continue
        for dep_app, dep_name in dependencies[(app, name)]:
            if dep_app in LAYERS and dep_app not in ALLOWED[app]:
                found.append(f"{app}.{name} -> {dep_app}.{dep_name}")
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app])
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and imported_apps(path) - ALLOWED[app]
    }
    assert offending == {}


def test_no_foreign_key_points_up():
    ours = [model for model in apps.get_models(include_auto_created=True) if model._meta.app_label in LAYERS]
    assert upward_foreign_keys(ours) == []


def test_no_migration_depends_on_a_higher_app():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    deps = {key: migration.dependencies for key, migration in loader.disk_migrations.items()}
    assert upward_migration_dependencies(loader.disk_migrations, deps) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from notifications.models import Alert\n")
    assert imported_apps(module) == {"notifications"}


def test_the_check_sees_a_foreign_key_pointing_up():
    from notifications.models import Alert
    from shipments.models import Shipment

    # A relation from shipments to notifications is upward; the reverse direction is fine.
    class FakeField:
        is_relation, concrete, name, related_model = True, True, "alert", Alert

    class FakeMeta:
        app_label = "shipments"

        @staticmethod
        def get_fields(include_hidden=False):
            return [FakeField]

    class Upward:
        _meta = FakeMeta
        __name__ = "Upward"

    assert upward_foreign_keys([Upward]) == ["shipments.Upward.alert -> notifications.Alert"]
    assert upward_foreign_keys([Shipment]) == []


def test_the_check_sees_a_migration_depending_up():
    nodes = [("licensing", "0001_initial")]
    deps = {("licensing", "0001_initial"): [("suppliers", "0001_initial"), ("shipments", "0001_initial")]}
    assert upward_migration_dependencies(nodes, deps) == ["licensing.0001_initial -> shipments.0001_initial"]
