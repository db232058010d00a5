"""The packaged entry point: same commands as main.py, output even without a console."""
import sys

import pytest

import launcher
from engine import __version__


def test_without_arguments_streams_are_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    launcher.ensure_output([])
    assert sys.stdout is None


def test_present_streams_are_kept(monkeypatch, capsys):
    before = sys.stdout, sys.stderr
    launcher.ensure_output(["--version"])
    assert (sys.stdout, sys.stderr) == before


def test_command_without_console_writes_to_the_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    code = launcher.launch(["barcode", "100-0013", "霞が関1-3-2"])
    sys.stdout.close()
    assert code == 0
    text = (tmp_path / "logs" / "command-output.txt").read_text("utf-8-sig")
    assert text.startswith("STC 1 0 0 0 0 1 3 1 - 3 - 2 ")


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as info:
        launcher.launch(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"Otokui {__version__}\n"


def test_cli_errors_keep_main_py_behaviour(tmp_path, capsys):
    code = launcher.launch(["import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "x.db")])
    assert code == 1
    assert capsys.readouterr().err.startswith("エラー: ")


def _failing_main(argv):
    raise RuntimeError("boom")


def test_unexpected_error_goes_to_the_installed_crash_hook(monkeypatch):
    seen = []
    monkeypatch.setattr("main.main", _failing_main)
    monkeypatch.setattr(sys, "excepthook", lambda *info: seen.append(info[0]))
    assert launcher.launch(["customers"]) == 1
    assert seen == [RuntimeError]


def test_unexpected_error_before_the_hook_is_raised_for_pyinstaller(monkeypatch):
    monkeypatch.setattr("main.main", _failing_main)
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    with pytest.raises(RuntimeError):
        launcher.launch(["customers"])
