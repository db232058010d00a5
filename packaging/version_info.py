"""The Windows version resource (Explorer's Properties → Details) from pyproject.toml.

Written as PyInstaller's text form of ``VSVersionInfo`` because its classes import
``pefile``, which exists only where Windows executables are built.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

JAPANESE_UNICODE = "041104B0"  # language 0x0411 (Japanese), code page 1200 (UTF-16)


def project_version(root: Path) -> str:
    """The ``version`` of ``[project]`` in ``root/pyproject.toml``."""
    return tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def version_numbers(version: str) -> tuple[int, int, int, int]:
    """``"1.2.3"`` → ``(1, 2, 3, 0)``; a pre-release tag (``2.0.3rc1``) is left out."""
    parts = [int(match.group()) if (match := re.match(r"\d+", part)) else 0
             for part in version.split(".")[:3]]
    return tuple(parts + [0] * (4 - len(parts)))


def version_info_text(version: str) -> str:
    """The version resource for ``otokui.exe`` in the form PyInstaller's ``version=`` reads."""
    numbers = version_numbers(version)
    strings = {
        "CompanyName": "Otokui",
        "FileDescription": "Otokui（お得意様）顧客管理",
        "FileVersion": version,
        "InternalName": "otokui",
        "LegalCopyright": "Otokui",
        "OriginalFilename": "otokui.exe",
        "ProductName": "Otokui（お得意様）",
        "ProductVersion": version,
    }
    table = ",\n        ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# -*- coding: utf-8 -*-
VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers!r}, prodvers={numbers!r}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable({JAPANESE_UNICODE!r}, [
        {table}])]),
    VarFileInfo([VarStruct('Translation', [0x0411, 1200])]),
  ],
)
"""


def write_version_file(root: Path, folder: Path) -> Path:
    """Write the version resource text for ``root``'s project into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "otokui_version_info.txt"
    path.write_text(version_info_text(project_version(root)), encoding="utf-8")
    return path
