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
