"""The カスタマージャーニー tab: one map per persona or cluster, stages × rows of notes,
saved as you type, printable to PDF or a printer."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QLineEdit, QMenu, QMessageBox, QPlainTextEdit, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from engine.analysis.rfm import CLUSTER_LABELS
from engine.research.journeys import ROW, STAGE, JourneyMap
from gui.context import AppContext, LatestLoad
from gui.errors import show_error
from gui.journeys.grid import JourneyGridModel, MultiLineDelegate
from gui.journeys.sheet import a4_landscape, paint_journey, write_pdf
from gui.widgets.file_dialogs import save_path
from gui.widgets.lazy_refresh import RefreshOnShow

CLUSTER_CHOICES = {"": "指定なし", **CLUSTER_LABELS}
AXIS_WORDS = {STAGE: ("段階", "左へ", "右へ"), ROW: ("項目", "上へ", "下へ")}


class MapDialog(QDialog):
    """Name, cluster and persona description of a map."""

    def __init__(self, parent=None, name="", cluster="", persona=""):
        super().__init__(parent)
        self.setWindowTitle("ジャーニーマップ")
        self.name = QLineEdit(name)
        self.name.setPlaceholderText("例: TOP1%のお客様")
        self.cluster = QComboBox()
        for key, label in CLUSTER_CHOICES.items():
            self.cluster.addItem(label, key)
        self.cluster.setCurrentIndex(max(self.cluster.findData(cluster), 0))
        self.persona = QPlainTextEdit(persona)
        self.persona.setPlaceholderText("例: 50代女性、健康志向。毎月定期便を利用し、友人にも紹介してくれる。")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("マップ名", self.name)
        form.addRow("対象クラスター", self.cluster)
        form.addRow("ペルソナ", self.persona)
        form.addRow(buttons)
        self.resize(520, 320)

    def values(self) -> dict:
        return {"name": self.name.text(), "cluster": self.cluster.currentData(),
                "persona": self.persona.toPlainText()}


def load_maps(shop, map_id: int | None) -> tuple[list[dict], JourneyMap | None]:
    """On the engine thread: every map, and map ``map_id`` (the first one when it is gone)."""
    maps = shop.journeys.list_maps()
    ids = [m["id"] for m in maps]
    if map_id not in ids:
        map_id = ids[0] if ids else None
    return maps, (shop.journeys.get(map_id) if map_id is not None else None)


class JourneyTab(RefreshOnShow, QWidget):
    """Pick or create a map, write in its cells, edit stages and rows, print."""

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        # The map to show: the loaded one, or the one asked for and still loading.
        self._wanted: int | None = None
        self._loads = LatestLoad(ctx, self)
        self._saving = 0  # cell saves not done yet
        # (axis, section) of a lane just added or moved: the cursor goes there once loaded.
        self._focus: tuple[str, int] | None = None

        self.map_box = QComboBox()
        self.map_box.setMinimumContentsLength(20)
        self.map_box.currentIndexChanged.connect(
            lambda _i: self._select(self.map_box.currentData()))
        top = QHBoxLayout()
        top.addWidget(QLabel("マップ"))
        top.addWidget(self.map_box, 1)
        for text, slot in (("新しいマップ…", self.new_map), ("複製…", self.duplicate_map),
                           ("名前・ペルソナ…", self.edit_map), ("削除", self.delete_map)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            top.addWidget(button)
        top.addSpacing(16)
        self.pdf_button = QPushButton("PDFに保存…")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.preview_button = QPushButton("印刷プレビュー…")
        self.preview_button.clicked.connect(self.print_preview)
        top.addWidget(self.pdf_button)
        top.addWidget(self.preview_button)

        self.persona = QLabel("")
        self.persona.setWordWrap(True)
        self.persona.setTextFormat(Qt.TextFormat.PlainText)

        lanes = QHBoxLayout()
        for axis in (STAGE, ROW):
            lanes.addWidget(self._lane_button(axis))
        hint = QLabel("セルをダブルクリックして記入（Enterで改行、Tabかほかのセルで保存）。"
                      "見出しをダブルクリックすると名前を変えられます。")
        hint.setWordWrap(True)
        lanes.addWidget(hint, 1)

        self.model = JourneyGridModel(self)
        self.model.cell_edited.connect(self._save_cell)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(MultiLineDelegate(self.view))
        self.view.setWordWrap(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.horizontalHeader().setMinimumSectionSize(120)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.verticalHeader().setMinimumSectionSize(60)
        self.view.horizontalHeader().sectionDoubleClicked.connect(
            lambda section: self.rename_lane(STAGE, section))
        self.view.verticalHeader().sectionDoubleClicked.connect(
            lambda section: self.rename_lane(ROW, section))
        self.model.dataChanged.connect(lambda *_: self._after_cell_edit())

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.persona)
        layout.addLayout(lanes)
        layout.addWidget(self.view, 1)
        self.watch(ctx)

    def _lane_button(self, axis: str) -> QPushButton:
        word, back, forward = AXIS_WORDS[axis]
        button = QPushButton(f"{word}（{'列' if axis == STAGE else '行'}）の編集")
        menu = QMenu(button)
        for text, slot in ((f"{word}を追加…", lambda: self.add_lane(axis)),
                           ("名前を変更…", lambda: self.rename_lane(axis)),
                           (back, lambda: self.move_lane(axis, -1)),
                           (forward, lambda: self.move_lane(axis, 1)),
                           (f"この{word}を削除", lambda: self.delete_lane(axis))):
            action = QAction(text, menu)
            action.triggered.connect(slot)
            menu.addAction(action)
        button.setMenu(menu)
        return button

    # -- maps ---------------------------------------------------------------------

    @property
    def journey(self):
        return self.model.journey

    def refresh(self) -> None:
        """Reload the list of maps and the current map on the engine thread."""
        self._load(self._wanted)

    def _select(self, map_id: int | None) -> None:
        if map_id != self._wanted:
            self._load(map_id)

    def _load(self, map_id: int | None) -> None:
        self._wanted = map_id
        self._loads.run(lambda shop: load_maps(shop, map_id), self._loaded)

    def _loaded(self, loaded: tuple[list[dict], JourneyMap | None]) -> None:
        # A map read before a cell's save would undo the edit on screen; the
        # data_changed after the save loads it again.
        if not self._saving:
            self._show(*loaded)

    def _show(self, maps: list[dict], journey: JourneyMap | None) -> None:
        self._wanted = journey.id if journey else None
        items = []
        for m in maps:
            cluster = CLUSTER_LABELS.get(m["cluster"])
            items.append((f"{m['name']}（{cluster}）" if cluster else m["name"], m["id"]))
        self.map_box.blockSignals(True)
        if items != [(self.map_box.itemText(i), self.map_box.itemData(i))
                     for i in range(self.map_box.count())]:
            self.map_box.clear()
            for text, map_id in items:
                self.map_box.addItem(text, map_id)
        self.map_box.setCurrentIndex(self.map_box.findData(self._wanted))
        self.map_box.blockSignals(False)
        # Unchanged (e.g. after saving a cell): no reset, so an editor open elsewhere stays.
        if journey != self.model.journey:
            self._set_map(journey)
        self._focus = None
        for widget in (self.pdf_button, self.preview_button):
            widget.setEnabled(journey is not None)
        if journey is None:
            self.persona.setText("マップがありません。「新しいマップ」で作成してください"
                                 "（段階と項目はひな形から始まります）。")
            return
        parts = [f"対象: {CLUSTER_CHOICES.get(journey.cluster, journey.cluster)}"]
        if journey.persona:
            parts.append(f"ペルソナ: {journey.persona}")
        self.persona.setText("　".join(parts))

    def _set_map(self, journey: JourneyMap | None) -> None:
        """Show ``journey``, keeping the current cell (or moving to the lane just changed)."""
        same_map = journey is not None and self.journey is not None \
            and journey.id == self.journey.id
        index = self.view.currentIndex()
        self.model.set_map(journey)
        self.view.resizeRowsToContents()
        if (not same_map or not self.model.rowCount() or not self.model.columnCount()
                or not (index.isValid() or self._focus)):
            return
        row, column = index.row(), index.column()
        if self._focus is not None:
            axis, section = self._focus
            if axis == STAGE:
                column = section
            else:
                row = section
        row = min(max(row, 0), self.model.rowCount() - 1)
        column = min(max(column, 0), self.model.columnCount() - 1)
        self.view.setCurrentIndex(self.model.index(row, column))

    def _after_cell_edit(self) -> None:
        self.view.resizeRowsToContents()

    def _save_cell(self, stage_id: int, row_id: int, text: str) -> None:
        self._saving += 1

        def saved(_result) -> None:
            self._saving -= 1

        def failed(exc: BaseException) -> None:
            self._saving -= 1
            show_error(self, exc)
            self.refresh()  # the cell shows what is stored again
        self.ctx.run(self, lambda shop, progress, cancel: shop.journeys.set_cell(
            stage_id, row_id, text), saved, failure=failed, changes_data=True)

    def _change(self, change, focus: tuple[str, int] | None = None,
                shows_new_map: bool = False) -> None:
        """Run ``change(shop)`` on the engine thread. The ``data_changed`` after it reloads:
        with the cursor on lane ``focus`` (axis, section), or showing the map whose id
        ``change`` returned."""
        def changed(result) -> None:
            self._focus = focus
            if shows_new_map:
                self._wanted = result.created
        self.ctx.run(self, lambda shop, progress, cancel: change(shop), changed,
                     changes_data=True)

    def new_map(self) -> None:
        dialog = MapDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.values()
            self._change(lambda shop: shop.journeys.create(**values), shows_new_map=True)

    def duplicate_map(self) -> None:
        if self.journey is None:
            return
        name, ok = QInputDialog.getText(self, "複製", "新しいマップの名前",
                                        text=f"{self.journey.name}のコピー")
        if ok:
            map_id = self.journey.id
            self._change(lambda shop: shop.journeys.duplicate(map_id, name), shows_new_map=True)

    def edit_map(self) -> None:
        if self.journey is None:
            return
        j = self.journey
        dialog = MapDialog(self, j.name, j.cluster, j.persona)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            values = dialog.values()
            self._change(lambda shop: shop.journeys.update(j.id, **values))

    def delete_map(self) -> None:
        if self.journey is None:
            return
        if QMessageBox.question(self, "カスタマージャーニー",
                                f"「{self.journey.name}」を削除しますか？"
                                ) == QMessageBox.StandardButton.Yes:
            map_id = self.journey.id
            self._change(lambda shop: shop.journeys.delete(map_id))

    # -- stages and rows ------------------------------------------------------------

    def _current_lane(self, axis: str, section: int | None = None):
        if self.journey is None:
            return None, -1
        lanes = self.journey.lanes(axis)
        if section is None:
            index = self.view.currentIndex()
            section = (index.column() if axis == STAGE else index.row()) if index.isValid() \
                else len(lanes) - 1
        return (lanes[section], section) if 0 <= section < len(lanes) else (None, -1)

    def add_lane(self, axis: str) -> None:
        if self.journey is None:
            return
        word = AXIS_WORDS[axis][0]
        name, ok = QInputDialog.getText(self, f"{word}を追加", f"新しい{word}の名前")
        if not ok:
            return
        _lane, section = self._current_lane(axis)
        position = section + 1 if section >= 0 else len(self.journey.lanes(axis))
        map_id = self.journey.id
        self._change(lambda shop: shop.journeys.add_lane(map_id, axis, name, position),
                     (axis, position))

    def rename_lane(self, axis: str, section: int | None = None) -> None:
        lane, section = self._current_lane(axis, section)
        if lane is None:
            return
        word = AXIS_WORDS[axis][0]
        name, ok = QInputDialog.getText(self, f"{word}の名前", f"{word}の名前", text=lane.name)
        if ok:
            self._change(lambda shop: shop.journeys.rename_lane(axis, lane.id, name))

    def move_lane(self, axis: str, step: int) -> None:
        lane, section = self._current_lane(axis)
        if lane is None:
            return
        target = min(max(section + step, 0), len(self.journey.lanes(axis)) - 1)
        self._change(lambda shop: shop.journeys.move_lane(axis, lane.id, target), (axis, target))

    def delete_lane(self, axis: str) -> None:
        lane, _section = self._current_lane(axis)
        if lane is None:
            return
        word = AXIS_WORDS[axis][0]
        if QMessageBox.question(self, "カスタマージャーニー",
                                f"{word}「{lane.name}」と、そこに書いた内容を削除しますか？"
                                ) == QMessageBox.StandardButton.Yes:
            self._change(lambda shop: shop.journeys.delete_lane(axis, lane.id))

    # -- output ---------------------------------------------------------------------

    def save_pdf(self) -> None:
        if self.journey is None:
            return
        path = save_path(self, "PDFに保存", f"ジャーニーマップ_{self.journey.name}.pdf",
                         "PDF (*.pdf)")
        if path is None:
            return
        try:
            write_pdf(self.journey, Path(path))
        except OSError as exc:
            QMessageBox.warning(self, "カスタマージャーニー",
                                f"{Path(path).name} に保存できません（{exc.strerror}）。")

    def print_preview(self) -> None:
        if self.journey is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(a4_landscape())
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle("印刷プレビュー")
        dialog.paintRequested.connect(lambda device: paint_journey(device, self.journey))
        dialog.resize(1100, 800)
        dialog.exec()
