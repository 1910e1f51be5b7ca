"""Where test code lives: builders and helpers in ``tests/fixtures/``, fixtures in conftest files.

No test module or helper imports a conftest file or another test module, conftest files hold
nothing but fixtures (and the imports they need), and the helpers hold no fixtures.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
FIXTURE_DECORATORS = {"pytest.fixture", "pytest_asyncio.fixture"}


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def _is_fixture(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        _decorator_name(d) in FIXTURE_DECORATORS for d in node.decorator_list
    )


def test_tests_import_test_code_only_from_the_fixtures_package() -> None:
    wrong = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in _modules()
        for name in _imported(ast.parse(path.read_text()))
        if name.startswith("tests.") and not name.startswith("tests.fixtures")
    ]
    assert wrong == []


def test_conftest_files_hold_only_fixtures() -> None:
    wrong: list[str] = []
    for path in TESTS.rglob("conftest.py"):
        for node in ast.parse(path.read_text()).body:
            allowed = (
                _is_fixture(node)
                or isinstance(node, ast.Import | ast.ImportFrom)
                or (  # the module's docstring
                    isinstance(node, ast.Expr)
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                )
            )
            if not allowed:
                wrong.append(
                    f"{path.relative_to(TESTS.parent)}:{node.lineno} {ast.unparse(node)[:60]}"
                )
    assert wrong == []


def test_the_fixtures_package_holds_no_fixtures() -> None:
    wrong = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno}"
        for path in sorted((TESTS / "fixtures").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if _is_fixture(node)
    ]
    assert wrong == []
