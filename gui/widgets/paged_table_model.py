"""A table model over a list too long to load at once: it knows how many rows there
are and asks for the rows the view shows, a page at a time.

The view scrolls over every row from the start (the scroll bar is the whole list);
a page not yet loaded shows empty cells for the moment its fetch takes. Fetches
run wherever the owner's ``fetch(offset, limit, deliver)`` sends them (the engine
thread) and come back through ``deliver(frame)``; pages of an older list that
arrive after the list changed are dropped. Sorting is the owner's: the model
remembers which column the user clicked and emits ``sort_changed``, the owner
asks the engine for the list in that order and calls :meth:`set_source` again.

A short list (a search's hits) is given whole with :meth:`set_frame` and sorts
itself, as :class:`~gui.widgets.table_model.TableModel` does.

Columns that are not in the pages (a flag learned later, for every customer at
once) come from :meth:`set_lookup`: values by the row's key column.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from gui.widgets.table_model import Column, TableModel, plain

PAGE = 200

Fetch = Callable[[int, int, Callable[[pd.DataFrame], None]], None]


class PagedTableModel(TableModel):
    sort_changed = Signal()

    def __init__(self, columns: list[Column], parent=None, key: str = "customer_id"):
        self._pages: dict[int, pd.DataFrame] = {}
        self._pending: set[int] = set()
        self._fetch: Fetch | None = None
        self._total = 0
        self._list = 0      # which list the pages belong to
        self._lookups: dict[str, tuple[pd.Series, object]] = {}
        self.key = key
        self.sort_spec: tuple[str, bool] | None = None   # (column key, descending)
        super().__init__(columns, parent)

    # --- contents -----------------------------------------------------------------

    def set_source(self, total: int, first: pd.DataFrame, fetch: Fetch) -> None:
        """A list of ``total`` rows whose first page is ``first``; ``fetch`` brings the others."""
        self.beginResetModel()
        self._list += 1
        self._total, self._fetch, self._pending = total, fetch, set()
        self._pages = {0: first.reset_index(drop=True)} if total else {}
        self._frame = None
        self.endResetModel()

    def set_frame(self, frame: pd.DataFrame, columns: list[Column] | None = None) -> None:
        """The whole list at once (short lists); sorted as the user last asked."""
        self.beginResetModel()
        if columns is not None:
            self.columns, self.sort_spec = columns, None
        self._list += 1
        self._fetch, self._pending = None, set()
        frame = self._sorted(frame.reset_index(drop=True))
        self._total = len(frame)
        self._pages = {p: frame.iloc[p * PAGE:(p + 1) * PAGE].reset_index(drop=True)
                       for p in range(-(-len(frame) // PAGE))}
        self._frame = None
        self.endResetModel()

    def set_lookup(self, key: str, values: pd.Series, default=None) -> None:
        """Column ``key`` shows ``values[row's key]`` (``default`` where it has none)."""
        self._lookups[key] = (values, default)
        self._frame = None
        column = next((i for i, c in enumerate(self.columns) if c.key == key), None)
        if column is not None and self._total:
            self.dataChanged.emit(self.index(0, column), self.index(self._total - 1, column))

    def lookup(self, key: str) -> tuple[pd.Series, object] | None:
        """The values and default :meth:`set_lookup` gave column ``key``."""
        return self._lookups.get(key)

    @property
    def frame(self) -> pd.DataFrame:
        """The rows loaded so far, in list order, lookups filled in."""
        if self._frame is None:
            pages = [self._with_lookups(self._pages[p]) for p in sorted(self._pages)]
            self._frame = (pd.concat(pages, ignore_index=True) if pages else
                           pd.DataFrame(columns=[c.key for c in self.columns]))
        return self._frame

    def _with_lookups(self, page: pd.DataFrame) -> pd.DataFrame:
        if not self._lookups or page.empty:
            return page
        page = page.copy()
        for key, (values, default) in self._lookups.items():
            mapped = page[self.key].map(values)
            page[key] = mapped.astype(object).where(mapped.notna(), default)
        return page

    def total_rows(self) -> int:
        return self._total

    def loaded(self, row: int) -> bool:
        return row // PAGE in self._pages

    def row_of(self, key_value) -> int | None:
        """The row of the loaded row whose key is ``key_value``."""
        for p, page in self._pages.items():
            hits = page.index[page[self.key] == key_value]
            if len(hits):
                return p * PAGE + int(hits[0])
        return None

    def value(self, row: int, key: str):
        page = self._pages.get(row // PAGE)
        if page is None:
            return None
        offset = row % PAGE
        if key in self._lookups:
            values, default = self._lookups[key]
            found = values.get(page.at[offset, self.key])
            return default if found is None or pd.isna(found) else found
        return None if key not in page else plain(page.at[offset, key])

    def row(self, row: int) -> dict:
        return {c.key: self.value(row, c.key) for c in self.columns} | {
            self.key: self.value(row, self.key)}

    def show_all(self) -> None:
        """Ask for every page not loaded yet (tests and 全選択)."""
        for p in range(-(-self._total // PAGE)):
            self._request(p)

    # --- fetching -----------------------------------------------------------------

    def _request(self, page: int) -> None:
        if page in self._pages or page in self._pending or self._fetch is None:
            return
        self._pending.add(page)
        number = self._list
        self._fetch(page * PAGE, PAGE, lambda frame: self._deliver(number, page, frame))

    def _deliver(self, number: int, page: int, frame: pd.DataFrame) -> None:
        if number != self._list:    # the list changed while this page was on its way
            return
        self._pending.discard(page)
        self._pages[page] = frame.reset_index(drop=True)
        self._frame = None
        first, last = page * PAGE, min(self._total, (page + 1) * PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    # --- QAbstractTableModel --------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return False

    def fetchMore(self, parent=QModelIndex()) -> None:
        return

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if index.row() // PAGE not in self._pages:
            self._request(index.row() // PAGE)
            return None
        return self._cell(self.columns[index.column()], self.value(index.row(),
                          self.columns[index.column()].key), index.row(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.sort_spec = (self.columns[column].key, order == Qt.SortOrder.DescendingOrder)
        if self._fetch is None:     # a whole list sorts itself
            self.set_frame(pd.concat([self._pages[p] for p in sorted(self._pages)],
                                     ignore_index=True) if self._pages else self.frame)
        else:
            self.sort_changed.emit()

    def _sorted(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.sort_spec is None or frame.empty:
            return frame
        key, descending = self.sort_spec
        column = next((i for i, c in enumerate(self.columns) if c.key == key), None)
        if column is None:
            return frame
        with_lookups = self._with_lookups(frame)
        order = self._sort_order(with_lookups, column, descending)
        return frame.take(order).reset_index(drop=True)

