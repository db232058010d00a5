"""配信の同意: per channel (メール・DM・電話) what the customer said, when and where it
came from, whether the shop may reach them that way, and 配信停止 — one place, so
the DM permission, the consent ledger and the opt-out can never disagree on screen."""
from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from engine.customers.consent import CHANNEL_LABELS, CHANNELS, EMAIL_BLOCKS, STATE_LABELS, STATES
from gui.widgets.table_dialog import TableDialog
from gui.widgets.table_model import Column

HISTORY_COLUMNS = [
    Column("recorded_on", "記録日", "date", 6),
    Column("channel", "手段", "text", 4),
    Column("value", "同意", "text", 5),
    Column("source", "経路", "text", 0),
]
OK_STYLE = "color: #1b5e20"
NO_STYLE = "color: #b00020"


def effect_text(channel: str, state: dict, customer: dict) -> str:
    """Whether the shop may reach the customer that way, and if not why, in words."""
    if state["allowed"]:
        return "→ 送れます" if channel != "phone" else "→ 電話できます"
    if customer.get("dm_opt_out"):
        reason = "配信停止"
    elif channel == "email":
        reason = EMAIL_BLOCKS.get(state.get("block") or "", "")
    elif state["value"] == "no":
        reason = "拒否"
    elif channel == "phone" and not customer.get("phone"):
        reason = "電話番号なし"
    else:
        reason = "取込元の既定で不可"
    return f"→ 送りません（{reason}）" if channel != "phone" else f"→ 電話しません（{reason}）"


def recorded_text(state: dict, channel: str, customer: dict) -> str:
    if state["recorded_on"]:
        return f"{state['recorded_on']}・{state['source'] or '—'}"
    if channel == "dm":
        return "記録なし（取込元の既定: " + ("可" if customer.get("dm_default") else "不可") + "）"
    return "記録なし"


def history_frame(history: pd.DataFrame) -> pd.DataFrame:
    return history.assign(channel=history["channel"].map(CHANNEL_LABELS),
                          value=history["value"].map(STATE_LABELS))


class ConsentPanel(QGroupBox):
    """Emits ``consent_chosen(channel, value)`` and ``opt_out_chosen(checked)``: the
    detail pane records them (undoable) and shows the reloaded state."""

    consent_chosen = Signal(str, str)
    opt_out_chosen = Signal(bool)
    history_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("配信の同意", parent)
        self.combos: dict[str, QComboBox] = {}
        self.recorded: dict[str, QLabel] = {}
        self.effects: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setVerticalSpacing(2)
        for row, channel in enumerate(CHANNELS):
            combo = QComboBox()
            for value in STATES:
                combo.addItem(STATE_LABELS[value], value)
            combo.activated.connect(lambda _i, c=channel: self._chosen(c))
            self.combos[channel] = combo
            self.recorded[channel] = QLabel()
            self.recorded[channel].setStyleSheet("color: #555")
            self.effects[channel] = QLabel()
            grid.addWidget(QLabel(CHANNEL_LABELS[channel]), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(self.effects[channel], row, 2)
            grid.addWidget(self.recorded[channel], row, 3)
        grid.setColumnStretch(3, 1)
        self.opt_out = QCheckBox("配信停止（お客様のご希望）")
        self.opt_out.setToolTip("チェックすると、メール・DM・電話のどの案内からも必ず外れます"
                                "（同意の記録より優先）。")
        self.opt_out.clicked.connect(lambda checked: self.opt_out_chosen.emit(checked))
        self.history_button = QPushButton("同意の履歴…")
        self.history_button.clicked.connect(lambda _checked=False: self.history_requested.emit())
        bottom = QHBoxLayout()
        bottom.addWidget(self.opt_out)
        bottom.addStretch(1)
        bottom.addWidget(self.history_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(grid)
        layout.addLayout(bottom)
        self._states: dict = {}

    def _chosen(self, channel: str) -> None:
        value = self.combos[channel].currentData()
        if self._states and value != self._states[channel]["value"]:
            self.consent_chosen.emit(channel, value)

    def show_state(self, states: dict, customer: dict) -> None:
        self._states = states
        for channel in CHANNELS:
            state = states[channel]
            combo = self.combos[channel]
            combo.setCurrentIndex(combo.findData(state["value"]))
            self.recorded[channel].setText(recorded_text(state, channel, customer))
            effect = self.effects[channel]
            effect.setText(effect_text(channel, state, customer))
            effect.setStyleSheet(OK_STYLE if state["allowed"] else NO_STYLE)
        self.opt_out.setChecked(bool(customer.get("dm_opt_out")))

    def clear(self) -> None:
        self._states = {}
        for channel in CHANNELS:
            self.combos[channel].setCurrentIndex(-1)
            self.recorded[channel].clear()
            self.effects[channel].clear()
        self.opt_out.setChecked(False)

    def set_enabled(self, enabled: bool) -> None:
        for widget in (*self.combos.values(), self.opt_out, self.history_button):
            widget.setEnabled(enabled)


class ConsentHistoryDialog(TableDialog):
    def __init__(self, parent: QWidget | None, name: str, history: pd.DataFrame):
        super().__init__(parent, f"同意の履歴 — {name}",
                         "新しい順。注文データの取込で得たメールの同意は、ここではなく注文に"
                         "記録されています。" if len(history) else "同意の記録はまだありません。",
                         HISTORY_COLUMNS, history_frame(history), size=(560, 320), sortable=False)
