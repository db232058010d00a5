"""The Windows version resource comes from pyproject.toml's version."""
from pathlib import Path

import pytest

from engine import __version__
from version_info import project_version, version_info_text, version_numbers, write_version_file

ROOT = Path(__file__).resolve().parents[2]


def test_project_version_is_the_installed_version():
    assert project_version(ROOT) == __version__


@pytest.mark.parametrize("text, numbers", [
    ("0.1.0", (0, 1, 0, 0)), ("1.12", (1, 12, 0, 0)), ("2.0.3rc1", (2, 0, 3, 0)),
    ("3.4.5.6", (3, 4, 5, 0)),
])
def test_version_numbers(text, numbers):
    assert version_numbers(text) == numbers


def _evaluate(text):
    """Evaluate the text as PyInstaller does, with the structures as plain records."""
    def record(kind):
        return lambda *args, **kwargs: (kind, args, kwargs)
    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
             "StringStruct", "VarFileInfo", "VarStruct"]
    return eval(text, {name: record(name) for name in names})


def test_version_info_text_names_the_program_and_version():
    kind, _, info = _evaluate(version_info_text("1.2.3"))
    assert kind == "VSVersionInfo"
    assert info["ffi"][2]["filevers"] == info["ffi"][2]["prodvers"] == (1, 2, 3, 0)
    string_info, var_info = info["kids"]
    [(_, (language, structs), _)] = string_info[1][0]
    assert language == "041104B0"
    strings = {s[1][0]: s[1][1] for s in structs}
    assert strings["ProductVersion"] == strings["FileVersion"] == "1.2.3"
    assert strings["OriginalFilename"] == "otokui.exe"
    assert strings["FileDescription"] == "Otokui（お得意様）顧客管理"
    assert var_info[1][0] == [("VarStruct", ("Translation", [0x0411, 1200]), {})]


def test_version_file_is_utf8_text(tmp_path):
    path = write_version_file(ROOT, tmp_path / "work")
    text = path.read_text("utf-8")
    assert f"StringStruct('ProductVersion', '{__version__}')" in text
