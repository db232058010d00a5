"""The editable stages × rows grid of a journey map."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QStyledItemDelegate

from engine.research.journeys import JourneyMap
from engine.text import user_text
from gui.widgets.table_model import Column, TableModel

ROW_NAME = "row_name"  # the frame column naming each row in the vertical header


def journey_frame(journey: JourneyMap | None) -> tuple[pd.DataFrame, list[Column]]:
    """The map's cells, one column per stage and one row per row of the map."""
    if journey is None:
        return pd.DataFrame(), []
    columns = [Column(f"stage_{stage.id}", stage.name, "note", 0) for stage in journey.stages]
    frame = pd.DataFrame({ROW_NAME: [row.name for row in journey.rows],
                          **{column.key: [journey.cell(stage.id, row.id) for row in journey.rows]
                             for stage, column in zip(journey.stages, columns)}})
    return frame, columns


class JourneyGridModel(TableModel):
    """Rows are the map's rows, columns its stages. An edited cell shows its new text
    at once; ``cell_edited(stage_id, row_id, text)`` asks the tab to save it."""

    cell_edited = Signal(int, int, str)

    def __init__(self, parent=None):
        super().__init__([], parent, header_key=ROW_NAME)
        self.journey: JourneyMap | None = None

    def set_map(self, journey: JourneyMap | None) -> None:
        self.journey = journey
        self.set_frame(*journey_frame(journey))

    def _ids(self, index) -> tuple[int, int]:
        return self.journey.stages[index.column()].id, self.journey.rows[index.row()].id

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.journey is None:
            return False
        stage_id, row_id = self._ids(index)
        # Cleaned as set_cell stores it, so the map reloaded after saving equals this one.
        text = user_text(value)
        if text == self.journey.cell(stage_id, row_id):
            return True
        cells = dict(self.journey.cells)
        cells.pop((stage_id, row_id), None)
        if text:
            cells[(stage_id, row_id)] = text
        self.journey = replace(self.journey, cells=cells)
        self.set_value(index.row(), self.columns[index.column()].key, text)
        self.cell_edited.emit(stage_id, row_id, text)
        return True

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable)


class MultiLineDelegate(QStyledItemDelegate):
    """Cells are edited in a multi-line box: Enter starts a new line; Tab, Ctrl+Enter
    or clicking elsewhere saves; Esc cancels."""

    def createEditor(self, parent, option, index):
        editor = QPlainTextEdit(parent)
        editor.setTabChangesFocus(True)
        editor.installEventFilter(self)
        return editor

    def setEditorData(self, editor, index):
        editor.setPlainText(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.moveCursor(editor.textCursor().MoveOperation.End)

    def setModelData(self, editor, model, index):
        model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index):
        rect = option.rect
        rect.setHeight(max(rect.height(), 110))
        editor.setGeometry(rect)

    def eventFilter(self, editor, event) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.commitData.emit(editor)
            self.closeEditor.emit(editor)
            return True
        return super().eventFilter(editor, event)
