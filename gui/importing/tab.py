"""The 取込 tab: drop order exports (files or folders) anywhere on the window or pick
them; each file is imported on the worker thread with its own progress bar and a
中止 button; one result line per file; the history of imports with 取り消し.

A product list (商品コード and 消費サイクル(日) columns, no order columns) dropped
with them registers usage cycles instead, after the order files; its result line
can be undone from the results."""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGroupBox, QHBoxLayout,
                               QLabel, QProgressBar, QPushButton, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from engine.errors import CancelledError, OtokuiError
from engine.imports.formats import AmbiguousFormatError, UnknownFormatError
from engine.imports.reader import read_table
from gui.context import AppContext
from gui.errors import show_error
from gui.importing.download_guide import DownloadGuide
from gui.importing.format_choice import FormatChoiceDialog
from gui.importing.mapping_dialog import MappingDialog, guess_fields
from gui.importing.models import ImportHistoryModel, ImportResultsModel
from gui.importing.saved_mappings import SavedMappings
from gui.widgets.confirm import confirm
from gui.widgets.file_dialogs import open_folder, open_paths
from gui.widgets.table_view import table_view

ORDER_FILE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class ProductList:
    """A dropped file that is a product list: its usage cycles are imported."""
    path: Path


def sort_drop(shop, files: list[Path]) -> list:
    """The import units of dropped files (engine thread): order exports as
    ``group_downloads`` pairs them, then the product lists — after the orders, so
    the products they name exist and undoing the list restores exactly."""
    lists = [f for f in files if shop.products.is_product_list(f)]
    orders = [f for f in files if f not in lists]
    return [*shop.imports.group_downloads(orders), *map(ProductList, lists)]


def order_files(paths: list[Path]) -> list[Path]:
    """The files to import: files as given, folders searched (with subfolders) for
    CSV/TSV/Excel files, skipping hidden files and Excel's ~$ lock files."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in ORDER_FILE_SUFFIXES
                and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts)))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _import_op(unit: tuple[Path, ...], label: str | None = None, field_map: dict | None = None,
               format_name: str | None = None):
    """The worker job for one import unit (a file, or the files of one download);
    with ``field_map`` the mapping is saved as a user preset, and forgotten again
    when the file does not import with it."""
    path, partners = unit[0], list(unit[1:])

    def op(shop, progress, cancel):
        try:
            if field_map is None:
                result = shop.imports.import_file(path, format_name=format_name, progress=progress,
                                                  cancel=cancel, partners=partners)
            else:
                preset = shop.formats.save_user_preset(label, read_table(path).headers, field_map)
                try:
                    result = shop.imports.import_file(path, format_name=preset.name,
                                                      progress=progress, cancel=cancel)
                except BaseException:
                    shop.formats.forget_user_preset(preset.name)
                    raise
        except UnknownFormatError as exc:
            exc.preview = read_table(path).frame.head(PREVIEW_ROWS)
            exc.presets = shop.formats.presets()
            raise
        labels = {p.name: p.label for p in shop.formats.presets()}
        return result, labels.get(result.source, result.source)
    return op


class ImportTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.queue: list[tuple[Path, ...]] = []
        self.running = None
        self.mapping_dialog: MappingDialog | None = None
        self.choice_dialog: FormatChoiceDialog | None = None
        # Drops whose files are being grouped into downloads on the engine thread.
        self.grouping = 0
        self.done_files = 0
        self.total_files = 0
        self.batch = ExitStack()

        drop = QFrame()
        drop.setObjectName("dropArea")
        drop.setStyleSheet("#dropArea { border: 2px dashed #9aa7b8; border-radius: 8px;"
                           " background: #f5f8fc; }")
        hint = QLabel("注文データのファイルやフォルダを、この画面のどこにでもドロップしてください")
        font = hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        hint.setFont(font)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        sources = QLabel("モール・カートからダウンロードした注文データ（CSV・TSV・xlsx）をそのまま。"
                         "2つに分かれたダウンロードは一緒にドロップできます。同じファイルを2回取り込んでも重複しません。\n"
                         "商品リスト（商品コードと消費サイクル(日)の列）をドロップすると、商品の消費サイクルを登録します。")
        sources.setAlignment(Qt.AlignmentFlag.AlignCenter)
        sources.setStyleSheet("color: #555;")
        self.pick_files_button = QPushButton("ファイルを選ぶ…")
        self.pick_files_button.clicked.connect(self.pick_files)
        self.pick_folder_button = QPushButton("フォルダを選ぶ…")
        self.pick_folder_button.clicked.connect(self.pick_folder)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.pick_files_button)
        buttons.addWidget(self.pick_folder_button)
        buttons.addStretch(1)
        drop_layout = QVBoxLayout(drop)
        drop_layout.setContentsMargins(16, 18, 16, 18)
        drop_layout.addWidget(hint)
        drop_layout.addWidget(sources)
        drop_layout.addLayout(buttons)

        self.guide = DownloadGuide()
        self.saved_mappings = SavedMappings(ctx)
        help_row = QHBoxLayout()
        help_row.addWidget(self.guide, 3)
        help_row.addWidget(self.saved_mappings, 2)

        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.cancel_button = QPushButton("中止")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_label)
        progress_layout.addLayout(progress_row)
        self.progress_box.setVisible(False)

        self.results = ImportResultsModel(self)
        self.results_view = _table(self.results)
        self.results.modelReset.connect(lambda: _fit_columns(self.results_view))
        self.results_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.undo_list_button = QPushButton("選んだ商品リストの取込を取り消す…")
        self.undo_list_button.clicked.connect(self.undo_product_list)
        self.undo_list_button.setEnabled(False)
        # Shown once a product list was imported in this session.
        self.undo_list_button.setVisible(False)
        results_buttons = QHBoxLayout()
        results_buttons.addStretch(1)
        results_buttons.addWidget(self.undo_list_button)
        results_box = QGroupBox("今回の取込結果")
        results_layout = QVBoxLayout(results_box)
        results_layout.addWidget(self.results_view)
        results_layout.addLayout(results_buttons)

        self.history = ImportHistoryModel(self)
        self.history_view = _table(self.history)
        self.history_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.undo_button = QPushButton("選んだ取込を取り消す…")
        self.undo_button.clicked.connect(self.undo_selected)
        history_buttons = QHBoxLayout()
        history_buttons.addWidget(QLabel("取込を取り消すと、そのファイルで追加・変更された注文と顧客が元に戻ります。"))
        history_buttons.addStretch(1)
        history_buttons.addWidget(self.undo_button)
        history_box = QGroupBox("取込履歴")
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_view)
        history_layout.addLayout(history_buttons)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(results_box)
        splitter.addWidget(history_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([220, 440])

        layout = QVBoxLayout(self)
        layout.addWidget(drop)
        layout.addLayout(help_row)
        layout.addWidget(self.progress_box)
        layout.addWidget(splitter, 1)
        ctx.data_changed.connect(self.refresh)
        self.refresh()
        ctx.run(self, lambda shop, progress, cancel: shop.formats.download_guides(),
                self.guide.set_guides)

    # -- choosing files -------------------------------------------------------------
    def pick_files(self) -> None:
        paths = open_paths(self, "取り込む注文データ・商品リストを選ぶ",
                           "注文データ・商品リスト (*.csv *.txt *.tsv *.xlsx *.xlsm);;すべてのファイル (*)")
        if paths:
            self.import_paths(paths)

    def pick_folder(self) -> None:
        folder = open_folder(self, "注文データのフォルダを選ぶ")
        if folder is not None:
            self.import_paths([folder])

    def import_paths(self, paths: list[Path]) -> None:
        """Queue files (folders are searched) and import them one after another."""
        files = order_files(paths)
        if not files:
            self.progress_label.setText("取り込める注文データ（CSV・TSV・xlsx）が見つかりませんでした。")
            self.progress_box.setVisible(True)
            self.progress_bar.setVisible(False)
            self.cancel_button.setVisible(False)
            return
        if not self.busy():
            self.done_files, self.total_files = 0, 0
            # One backup before the first file that changes anything, not one per file;
            # entered (and left) on the engine thread, in order with the imports.
            batch = self.batch = ExitStack()
            self.ctx.run(self, lambda shop, progress, cancel: batch.enter_context(
                shop.imports.batch()))
        self.total_files += len(files)
        # The files of one download (Yahoo's 注文 and 商品) are imported together,
        # product lists after the orders.
        self.grouping += 1
        self.ctx.run(self, lambda shop, progress, cancel: sort_drop(shop, files),
                     self._grouped, failure=lambda exc: self._grouped([(f,) for f in files]))

    def _grouped(self, units: list) -> None:
        self.grouping -= 1
        self.queue.extend(units)
        if self.running is None and not self._asking():
            self._start_next()

    def busy(self) -> bool:
        return self.running is not None or self._asking() or self.grouping > 0

    def _asking(self) -> bool:
        return self.mapping_dialog is not None or self.choice_dialog is not None

    # -- running the queue --------------------------------------------------------------
    def _start_next(self) -> None:
        if not self.queue:
            if not self.grouping:
                self._finish()
            return
        unit = self.queue.pop(0)
        if isinstance(unit, ProductList):
            path = unit.path
            self._run((path,), lambda shop, progress, cancel: shop.products.import_cycles(
                path, progress, cancel), lambda change: self._list_imported(path, change))
        else:
            self._run(unit, _import_op(unit))

    def _run(self, unit: tuple[Path, ...], op, done=None) -> None:
        path = unit[0]
        self.progress_box.setVisible(True)
        self.progress_bar.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self._show_progress(0.0, f"{path.name} を読み込んでいます")
        self.running = self.ctx.run(
            self, op, done or (lambda outcome: self._imported(unit, outcome)),
            failure=lambda exc: self._failed(unit, exc),
            cancelled=lambda: self._cancelled(unit),
            progress=self._show_progress)

    def _show_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.progress_label.setText(
            f"{self.done_files + 1}/{self.total_files} ファイル目 — {message}")

    def _imported(self, unit: tuple[Path, ...], outcome) -> None:
        result, format_label = outcome
        self.running = None
        self.done_files += len(unit)
        self.results.add_result(result, format_label)
        if not result.already_imported:
            # Before the next file starts, so tabs reload while the engine is idle.
            self.ctx.data_changed.emit()
        self._start_next()

    def _list_imported(self, path: Path, change) -> None:
        self.running = None
        self.done_files += 1
        self.results.add_product_list(path.name, change)
        self.undo_list_button.setVisible(True)
        self.ctx.data_changed.emit()
        self._start_next()

    def _failed(self, unit: tuple[Path, ...], exc: BaseException) -> None:
        self.running = None
        path = unit[0]
        if isinstance(exc, AmbiguousFormatError) and hasattr(exc, "presets"):
            self._ask_format(unit, exc)
            return
        if isinstance(exc, UnknownFormatError) and hasattr(exc, "preview"):
            self._ask_mapping(path, exc)
            return
        self.done_files += len(unit)
        if isinstance(exc, OtokuiError):
            self.results.add_error(getattr(exc, "file", path.name), exc)
        else:
            self.results.add_error(path.name, OtokuiError(
                "予期しないエラーで取り込めませんでした。詳しくはログフォルダの記録をご覧ください。"))
            show_error(self, exc)
        self._start_next()

    def _cancelled(self, unit: tuple[Path, ...]) -> None:
        self.running = None
        self.results.add_error(_shown(unit), CancelledError())
        for skipped in self.queue:
            self.results.add_error(_shown(skipped), CancelledError(
                "中止したため取り込んでいません。"))
        self.queue.clear()
        self._finish()

    def _finish(self) -> None:
        batch = self.batch
        self.ctx.run(self, lambda shop, progress, cancel: batch.close())
        self.progress_box.setVisible(False)

    def cancel(self) -> None:
        """Stop the file being imported (it is rolled back) and skip the rest."""
        if self.running is not None:
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("中止しています…")
            self.running.cancel()

    # -- unknown layouts ----------------------------------------------------------------
    def _ask_mapping(self, path: Path, exc: UnknownFormatError) -> None:
        self.progress_label.setText(f"{path.name}: 列の対応付けを待っています")
        self.cancel_button.setVisible(False)
        dialog = MappingDialog(self, path.name, exc.headers, exc.preview,
                               guess_fields(exc.headers, exc.presets))
        self.mapping_dialog = dialog
        dialog.accepted.connect(lambda: self._mapped(path, dialog))
        dialog.rejected.connect(lambda: self._mapping_skipped(path, exc))
        dialog.open()

    def _mapped(self, path: Path, dialog: MappingDialog) -> None:
        self.mapping_dialog = None
        dialog.deleteLater()
        self._run((path,), _import_op((path,), dialog.label(), dialog.field_map()))

    def _ask_format(self, unit: tuple[Path, ...], exc: AmbiguousFormatError) -> None:
        """A header row that fits several formats: the user says which it is."""
        self.progress_label.setText(f"{unit[0].name}: 形式の選択を待っています")
        self.cancel_button.setVisible(False)
        labels = {p.name: p.label for p in exc.presets}
        dialog = FormatChoiceDialog(self, unit[0].name,
                                    [(name, labels[name]) for name in exc.candidates])
        self.choice_dialog = dialog
        dialog.accepted.connect(lambda: self._format_chosen(unit, dialog))
        dialog.rejected.connect(lambda: self._format_skipped(unit, dialog, exc))
        dialog.open()

    def _format_chosen(self, unit: tuple[Path, ...], dialog: FormatChoiceDialog) -> None:
        self.choice_dialog = None
        dialog.deleteLater()
        self._run(unit, _import_op(unit, format_name=dialog.chosen()))

    def _format_skipped(self, unit: tuple[Path, ...], dialog: FormatChoiceDialog,
                        exc: AmbiguousFormatError) -> None:
        self.choice_dialog = None
        dialog.deleteLater()
        self.done_files += len(unit)
        self.results.add_error(unit[0].name, exc)
        self._start_next()

    def _mapping_skipped(self, path: Path, exc: UnknownFormatError) -> None:
        self.mapping_dialog.deleteLater()
        self.mapping_dialog = None
        self.done_files += 1
        self.results.add_error(path.name, exc)
        self._start_next()

    # -- history and undo -----------------------------------------------------------------
    def refresh(self) -> None:
        def load(shop, progress, cancel):
            return shop.imports.history(), {p.name: p.label for p in shop.formats.presets()}
        self.ctx.run(self, load, self._show_history)
        self.saved_mappings.refresh()

    def _show_history(self, loaded: tuple[list[dict], dict[str, str]]) -> None:
        selected = self.selected_import()
        self.history.set_history(*loaded)
        _fit_columns(self.history_view)
        rows = [r["id"] for r in self.history.records()]
        if selected is not None and selected["id"] in rows:
            self.history_view.selectRow(rows.index(selected["id"]))
        self._update_buttons()

    def selected_import(self) -> dict | None:
        rows = self.history_view.selectionModel().selectedRows()
        return self.history.row(rows[0].row()) if rows else None

    def _update_buttons(self, *_args) -> None:
        row = self.selected_import()
        self.undo_button.setEnabled(
            row is not None and row["undone_at"] is None and row["finished_at"] is not None)
        self.undo_list_button.setEnabled(self._selected_list() is not None)

    def _selected_list(self) -> tuple[int, int] | None:
        """The selected result line and its undo operation, when it is a product list
        whose import can still be undone."""
        rows = self.results_view.selectionModel().selectedRows()
        if not rows:
            return None
        operation = self.results.undoable_operation(rows[0].row())
        return None if operation is None else (rows[0].row(), operation)

    def undo_product_list(self) -> None:
        """Undo a product list's import: the usage cycles are as before it."""
        selected = self._selected_list()
        if selected is None or self.busy():
            return
        row, operation = selected
        name = self.results.index(row, 0).data()
        if not confirm(self, f"商品リスト「{name}」の取込を取り消しますか？\n"
                             "この取込で登録・変更した消費サイクルが、取込の前の状態に戻ります。",
                       "取り消す"):
            return

        def undone(_none) -> None:
            self.results.mark_undone(row)
            self._update_buttons()
        self.ctx.run(self, lambda shop, progress, cancel: shop.journal.undo(operation), undone,
                     label="商品リストの取込を取り消しています…", changes_data=True)

    def undo_selected(self) -> None:
        row = self.selected_import()
        if row is None or self.busy():
            return
        if not confirm(self, f"「{row['file_name']}」の取込（{row['started_at'][:16]}）を取り消しますか？\n"
                             f"この取込で追加・変更された注文と顧客が、取込の前の状態に戻ります。",
                       "取り消す"):
            return
        import_id = row["id"]
        self.ctx.run(self, lambda shop, progress, cancel: shop.imports.undo(import_id),
                     label="取込を取り消しています…", changes_data=True)


def _shown(unit) -> str:
    """An import unit as the results show it: its files' names."""
    if isinstance(unit, ProductList):
        return unit.path.name
    return "＋".join(path.name for path in unit)


def _table(model) -> QTableView:
    view = table_view(model, sortable=False)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return view


def _fit_columns(view: QTableView) -> None:
    """Fit every column but the last to its contents; the last takes the rest."""
    for column in range(view.model().columnCount() - 1):
        view.resizeColumnToContents(column)
