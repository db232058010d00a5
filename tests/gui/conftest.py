"""GUI tests run offscreen; a failing engine job shows up as a failed test."""
import pytest
from PySide6.QtWidgets import QMessageBox


class _RecordedErrorBox:
    """Stands in for the error dialog in tests: records the message instead of blocking."""

    shown: list[str] = []
    Icon = QMessageBox.Icon

    def __init__(self, parent=None):
        self._text = ""
        self._details = ""

    def setText(self, text):
        self._text = text

    def text(self):
        return self._text

    def setDetailedText(self, details):
        self._details = details

    def setIcon(self, icon):
        pass

    def setWindowTitle(self, title):
        pass

    def exec(self):
        _RecordedErrorBox.shown.append(f"{self._text}\n{self._details}".strip())
        return 0


@pytest.fixture(autouse=True)
def user_data_folder(tmp_path, monkeypatch):
    """The window remembers things (the last database and folder) in the user data
    folder: each test gets its own, never the developer's."""
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path / "user-data"))


@pytest.fixture(autouse=True)
def error_dialogs(monkeypatch):
    """A failing engine job in a GUI test fails the test instead of hanging on a modal dialog.

    Tests that expect an error dialog take this fixture, check and ``clear()`` it.
    """
    import gui.errors
    monkeypatch.setattr(gui.errors, "QMessageBox", _RecordedErrorBox)
    _RecordedErrorBox.shown = []
    yield _RecordedErrorBox.shown
    assert _RecordedErrorBox.shown == [], f"unexpected error dialog: {_RecordedErrorBox.shown}"
