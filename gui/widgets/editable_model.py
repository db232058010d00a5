"""A table model the user edits in place (rule tables): every cell editable, and a
``dirty`` flag that says whether the rows differ from what was last loaded."""
from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt

from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import TableView, table_view


class EditableTableModel(TableModel):
    def __init__(self, columns: list[Column], keys: list[str], parent=None):
        super().__init__(columns, parent)
        self.keys = keys
        self.dirty = False

    def set_rows(self, rows: list[dict]) -> None:
        # Object columns keep plain ints and None as they are.
        self.set_frame(pd.DataFrame(rows, columns=self.keys, dtype=object))
        self.dirty = False

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        key = self.columns[index.column()].key
        self.dirty = True  # before the change is signalled: a page may read it then
        self.set_value(index.row(), key, self.edited(key, value))
        return True

    def edited(self, key: str, value):
        """The value to store for what the user typed (subclasses translate)."""
        return value

    def add_row(self, row: int, values: dict) -> int:
        self.dirty = True
        self.insert_row(row, values)
        return row

    def remove(self, row: int) -> None:
        self.dirty = True
        self.remove_row(row)


def editable_view(model: EditableTableModel, changed) -> TableView:
    """A view that edits ``model`` in place (double-click or typing), calling
    ``changed()`` whenever rows, values or the selection change."""
    for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.modelReset):
        signal.connect(lambda *_: changed())
    view = table_view(model, sortable=False)
    view.setEditTriggers(view.EditTrigger.DoubleClicked | view.EditTrigger.EditKeyPressed
                         | view.EditTrigger.AnyKeyPressed)
    view.selectionModel().selectionChanged.connect(lambda *_: changed())
    return view
