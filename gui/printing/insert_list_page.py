"""同梱物リスト: which insert goes into each parcel of a batch of new orders."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from engine.errors import OtokuiError
from gui.errors import show_error
from gui.printing.dialogs import add_buttons, preview, print_pages, save_pdf
from gui.widgets.confirm import confirm
from gui.widgets.file_dialogs import open_paths, save_path
from gui.widgets.table_model import Column, TableModel
from gui.widgets.table_view import table_view

PLAN_COLUMNS = [
    Column("order_no", "注文番号", "text", 10),
    Column("order_date", "注文日", "date", 6),
    Column("customer_id", "顧客番号", "int", 4),
    Column("name", "お客様", "text", 8),
    Column("purchase_number", "購入回数", "int", 4),
    Column("insert_name", "同梱物", "text", 0),
]
TITLE = "同梱物リスト"


class InsertListPage(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.plan = None
        self.pages = []
        choose = QPushButton("新しい注文のファイルを選んで作成…")
        choose.clicked.connect(lambda: self.make_plan())
        self.rules_button = QPushButton("回数ごとの同梱物を設定…")
        self.rules_button.setToolTip("何回目のご購入にどの同梱物を入れるか（回数フォロー）を決めます。")
        self.rules_button.clicked.connect(self.edit_rules)
        self.summary = QLabel("今日発送する注文の受注ファイルを選ぶと、取り込んだうえで"
                              "お客様の購入回数に合った同梱物を一覧にします。")
        self.summary.setWordWrap(True)
        # A printed or saved list is not a packed parcel: inserts count once the user
        # says they went out.
        self.record_button = QPushButton("同梱物を入れて発送したことを記録…")
        self.record_button.clicked.connect(self.record_sent)
        self.record_button.setEnabled(False)
        self.model = TableModel(PLAN_COLUMNS, self)
        self.view = table_view(self.model)

        buttons = QHBoxLayout()
        buttons.addWidget(choose)
        buttons.addSpacing(24)
        add_buttons(buttons, [("印刷プレビュー…", self.preview), ("印刷…", self.print),
                              ("PDFに保存…", lambda: self.save_pdf())])
        buttons.addStretch(1)
        buttons.addWidget(self.rules_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.record_button)
        layout.addWidget(self.view, 1)

    def make_plan(self, files: list[Path] | None = None) -> None:
        if files is None:
            files = open_paths(self, "新しい注文のファイル",
                               "注文データ (*.csv *.txt *.tsv *.xlsx);;すべて (*)")
        if not files:
            return

        def planned(result):
            self.plan, self.pages = result
            self.record_button.setEnabled(False)
            self.model.set_frame(self.plan)
            counts = self.plan["insert_name"].fillna("").replace("", "なし").value_counts()
            self.summary.setText(f"{len(self.plan)}件の注文。" + "　".join(
                f"{name}: {count}枚" for name, count in counts.items()))

        def op(shop, progress, cancel):
            plan = shop.printing.insert_plan(files, progress=progress, cancel=cancel)
            return plan, shop.printing.insert_pages(plan)

        # Importing the files changes the shop, so every tab refreshes afterwards.
        self.ctx.run(self, op, planned, label="注文を取り込んでいます…", changes_data=True)

    def edit_rules(self) -> None:
        from gui.printing.count_program_dialog import open_count_program
        open_count_program(self, self.ctx)

    def _ready(self) -> bool:
        if not self.pages:
            show_error(self, OtokuiError("先に新しい注文のファイルを選んでください。"))
            return False
        return True

    def _list_made(self, printed: bool) -> None:
        self.record_button.setEnabled(True)
        if printed:
            self.record_sent("印刷したリストの同梱物を入れて発送しますか？\n")

    def record_sent(self, question: str = "") -> None:
        """After the user confirms: an insert touch per customer whose parcel got one."""
        plan = self.plan
        if plan is None:
            return
        if not confirm(self, f"{question}同梱物を入れて発送したときだけ記録してください。\n"
                             "入れた同梱物をお客様ごとに接触履歴に記録します。", "発送したので記録する"):
            return

        def recorded(count: int) -> None:
            self.record_button.setEnabled(False)
            self.summary.setText(f"{count}件の接触履歴に同梱物を記録しました。")
        self.ctx.run(self, lambda shop, p, c: shop.printing.record_inserts(plan), recorded,
                     changes_data=True)

    def preview(self) -> None:
        if self._ready() and preview(self, self.pages, TITLE):
            self._list_made(printed=True)

    def print(self) -> None:
        if self._ready() and print_pages(self, self.pages, TITLE):
            self._list_made(printed=True)

    def save_pdf(self, path: Path | None = None) -> None:
        if not self._ready():
            return
        target = path or save_path(self, "同梱物リストをPDFに保存", f"{TITLE}.pdf",
                                       "PDF (*.pdf)")
        if target is not None:
            save_pdf(self.ctx, self, self.pages, target, TITLE,
                     lambda: self._list_made(printed=False))
