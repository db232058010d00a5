"""The view of every table: read-only, row-selecting, columns as wide as their
:class:`~gui.widgets.table_model.Column` says, widened when a figure would not fit."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from gui.widgets.table_model import Column, TableModel


class TableView(QTableView):
    """Widens a numeric column when its largest figure would not fit (a top
    customer's ¥12,345,678), never narrows one."""

    def fit_numbers(self) -> None:
        model = self.model()
        if not isinstance(model, TableModel):
            return
        metrics = self.fontMetrics()
        for index, text in model.widest_numbers().items():
            needed = metrics.horizontalAdvance(text) + 16
            if self.columnWidth(index) < needed:
                self.setColumnWidth(index, needed)


def table_view(model: TableModel, sortable: bool = True) -> TableView:
    """A read-only, row-selecting view for ``model`` with the columns' widths."""
    view = TableView()
    view.setModel(model)
    model.modelReset.connect(view.fit_numbers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setHighlightSections(False)
    # No indicator first, so enabling sorting keeps the engine's order.
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(sortable)
    apply_widths(view, model.columns)
    return view


def apply_widths(view: QTableView, columns: list[Column]) -> None:
    """Column widths from the model's character widths; a width of 0 stretches."""
    header = view.horizontalHeader()
    char = view.fontMetrics().horizontalAdvance("あ")
    for index, column in enumerate(columns):
        if column.width:
            view.setColumnWidth(index, column.width * char + 12)
        else:
            header.setSectionResizeMode(index, QHeaderView.ResizeMode.Stretch)
    if isinstance(view, TableView):
        view.fit_numbers()
