"""The architecture as checked contracts (pyproject.toml [tool.importlinter]):
the engine never imports the GUI or Qt, engine packages use only the layers below
them, tabs are independent, shared GUI pieces know no tab. And the engine's tests
run where Qt cannot even be imported."""
import os
import subprocess
import sys

from importlinter.cli import lint_imports

from tests.support.paths import ROOT


def test_import_contracts_are_kept(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = lint_imports(no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_engine_tests_run_without_qt():
    # PySide6 set to None in sys.modules makes any import of it fail.
    script = ("import sys; sys.modules['PySide6'] = None; import pytest; "
              "sys.exit(pytest.main(['-q', '-p', 'no:pytest-qt', '-p', 'no:cacheprovider', "
              "'-W', 'ignore::pytest.PytestConfigWarning', "
              "'tests/engine/test_progress.py', 'tests/engine/store/test_journal.py']))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_importing_the_engine_loads_no_qt_module():
    code = ("import sys, engine, engine.imports.service, engine.customers.service; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"
