"""The editable stages × rows grid of a journey map."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QStyledItemDelegate

from engine.research.journeys import JourneyMap


class JourneyGridModel(QAbstractTableModel):
    """Rows are the map's rows, columns its stages. An edited cell shows its new text
    at once; ``cell_edited(stage_id, row_id, text)`` asks the tab to save it."""

    cell_edited = Signal(int, int, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.journey: JourneyMap | None = None

    def set_map(self, journey: JourneyMap | None) -> None:
        self.beginResetModel()
        self.journey = journey
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.journey is None else len(self.journey.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.journey is None else len(self.journey.stages)

    def _ids(self, index) -> tuple[int, int]:
        return self.journey.stages[index.column()].id, self.journey.rows[index.row()].id

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.journey is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.journey.cell(*self._ids(index))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.journey is None:
            return False
        stage_id, row_id = self._ids(index)
        # Trimmed as set_cell stores it, so the map reloaded after saving equals this one.
        text = str(value).strip()
        if text == self.journey.cell(stage_id, row_id):
            return True
        cells = dict(self.journey.cells)
        cells.pop((stage_id, row_id), None)
        if text:
            cells[(stage_id, row_id)] = text
        self.journey = replace(self.journey, cells=cells)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole,
                                             Qt.ItemDataRole.EditRole])
        self.cell_edited.emit(stage_id, row_id, text)
        return True

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or self.journey is None:
            return None
        lanes = (self.journey.stages if orientation == Qt.Orientation.Horizontal
                 else self.journey.rows)
        return lanes[section].name if 0 <= section < len(lanes) else None


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
