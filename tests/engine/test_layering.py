"""The engine must never import Qt (STYLE.md rule 1)."""
import ast
import subprocess
import sys

from tests.support.paths import ROOT

ENGINE = ROOT / "engine"


def test_no_qt_import_in_engine_source():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "shiboken6")]
    assert offenders == []


def test_importing_engine_loads_no_qt_module():
    code = ("import sys, engine, engine.imports.service, engine.customers.service; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ENGINE.parent, check=True).stdout.strip()
    assert out == "[]"
