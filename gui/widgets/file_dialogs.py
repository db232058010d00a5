"""Opening and saving files where a shop owner expects: in the folder used last,
or in Documents the first time (not in the program's own folder)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from gui import state


def start_folder() -> Path:
    """The folder a file was last opened from or saved to, else Documents."""
    last = Path(state.load().get("folder", "") or "")
    if str(last) not in ("", ".") and last.is_dir():
        return last
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents else Path.home()


def _remember(path: Path) -> None:
    state.remember(folder=str(path if path.is_dir() else path.parent))


def save_path(parent: QWidget | None, caption: str, default_name: str,
              filters: str) -> Path | None:
    """Ask where to save ``default_name``; None when the user cancelled."""
    name, _ = QFileDialog.getSaveFileName(parent, caption, str(start_folder() / default_name),
                                          filters)
    if not name:
        return None
    _remember(Path(name))
    return Path(name)


def open_paths(parent: QWidget | None, caption: str, filters: str) -> list[Path]:
    """Ask for one or more files to open ([] when the user cancelled)."""
    names, _ = QFileDialog.getOpenFileNames(parent, caption, str(start_folder()), filters)
    if names:
        _remember(Path(names[0]))
    return [Path(n) for n in names]


def open_folder(parent: QWidget | None, caption: str) -> Path | None:
    """Ask for a folder; None when the user cancelled."""
    name = QFileDialog.getExistingDirectory(parent, caption, str(start_folder()))
    if not name:
        return None
    _remember(Path(name))
    return Path(name)
