"""Which file to download, per sales channel: the admin-screen path to the export
Otokui reads, in plain Japanese (the presets' ``download`` in resources/formats)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget


class DownloadGuide(QGroupBox):
    """A channel to choose and where its admin screen offers the file to drop."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("どのファイルをダウンロードすればいい？", parent)
        self.channel = QComboBox()
        self.channel.setMinimumContentsLength(18)
        self.channel.currentIndexChanged.connect(self._show)
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.steps.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.steps.setStyleSheet("color: #333;")
        row = QHBoxLayout()
        row.addWidget(QLabel("お使いのサービス"))
        row.addWidget(self.channel, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.steps)
        self._guides: list[tuple[str, str]] = []

    def set_guides(self, guides: list[tuple[str, str]]) -> None:
        """(format label, where to download it) for each channel."""
        self._guides = sorted(guides, key=lambda guide: guide[0].casefold())
        self.channel.clear()
        self.channel.addItems([label for label, _ in self._guides])

    def choose(self, label: str) -> None:
        self.channel.setCurrentIndex(self.channel.findText(label))

    def _show(self, index: int) -> None:
        self.steps.setText(self._guides[index][1] if 0 <= index < len(self._guides) else "")
