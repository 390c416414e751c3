"""The core imports no TensorFlow: only skpart.keras touches Keras, TF, SciKeras."""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "skpart"
HEAVY = ("keras", "tensorflow", "scikeras")


def test_import_skpart_loads_no_tensorflow_keras_or_scikeras():
    code = (
        "import sys, skpart\n"
        "print(sorted(m for m in sys.modules "
        f"if m.partition('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert result.stdout.strip() == "[]", result.stdout


@pytest.mark.slow
def test_top_level_and_subpackage_names_are_the_same_classes():
    import skpart
    import skpart.keras

    for name in (
        "PartitionAwareClassifier",
        "PartitionAwareRegressor",
        "PartitionMonitor",
    ):
        assert getattr(skpart, name) is getattr(skpart.keras, name)
    from skpart import PartitionAwareClassifier
    from skpart.keras import PartitionAwareClassifier as FromSubpackage

    assert PartitionAwareClassifier is FromSubpackage


def _imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]
        elif (  # importlib.import_module("keras") and __import__("keras")
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
        ):
            yield node.lineno, node.args[0].value.partition(".")[0]


def test_no_module_outside_skpart_keras_imports_keras_tensorflow_or_scikeras():
    keras_dir = PACKAGE / "keras"
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {root}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if keras_dir not in path.parents
        for line, root in _imported_roots(path)
        if root in HEAVY
    ]
    assert offenders == []


# The layers of DESIGN.md, in import order: a module may import its own layer
# and the layers before it, never one after it. The base modules (compat
# shims, messages) serve every layer; the package's __init__ re-exports.
LAYERS = (
    ("_compat", "_messages"),
    ("_inputs",),
    ("_bootstrap",),
    ("_metrics",),
    ("_results",),
    ("_engine",),
    ("_distributed",),
    ("_adapters",),
    ("keras",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _skpart_imports(path):
    """(line, imported skpart module, at module level?) for each skpart import."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.split(".")[:-1]  # a relative import's starting package
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = (
                [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            )
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "skpart":
                yield node.lineno, name, id(node) in top_level


def _layer(module):
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself
    return parts[1].removesuffix(".py")


def test_each_layer_imports_only_from_the_layers_before_it():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        if own in (None, "__init__"):
            continue  # skpart/__init__.py re-exports every layer
        assert own in RANK, f"{path} is in no layer of DESIGN.md"
        for line, target, _ in _skpart_imports(path):
            layer = _layer(target)
            if layer is not None and RANK[layer] > RANK[own]:
                where = path.relative_to(PACKAGE.parent)
                offenders.append(f"{where}:{line} ({own}) imports {target}")
    assert offenders == []


def test_skpart_modules_are_imported_at_module_level_only():
    # A function-level import of skpart's own code would hide a cycle.
    hidden = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, target, top in _skpart_imports(path)
        if not top
    ]
    assert hidden == []


def test_no_loose_modules_beside_the_layer_folders():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "_compat.py", "_messages.py"]
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert folders == sorted(name for names in LAYERS[1:] for name in names)


def test_no_class_is_over_300_lines():
    # STYLE.md: a class past about 300 lines holds two concepts; split it.
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.name} ({size} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and (size := node.end_lineno - node.lineno + 1) > 300
    ]
    assert long == []
