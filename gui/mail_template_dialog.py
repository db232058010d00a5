"""ファイル → メールの文面…: the follow-up e-mail text per action, its fields, a live
preview for one customer with the footer no edit can remove, save / undo / reset,
and a test send to the shop itself."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QApplication, QDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
                               QSpinBox, QSplitter, QTextBrowser, QVBoxLayout, QWidget)

from engine.errors import OtokuiError
from engine.marketing.mail_templates import COMMON, FIELDS, check, footer
from gui.context import AppContext, LatestLoad
from gui.errors import ERROR_STYLE, show_in_form
from gui.widgets.confirm import confirm

MENU_LABEL = "メールの文面…"
COMMON_LABEL = "共通の文面（自分の文面がない施策）"
FOOTER_NOTE = "（自動で付きます・削除できません）"
SAMPLE = "見本のお客様"
PREVIEW_DELAY_MS = 400


def load_templates(shop) -> dict:
    """The actions and each one's template, read on the worker."""
    actions = [COMMON] + [a for a in shop.mail.actions() if a != COMMON]
    return {"templates": {a: shop.mail.template(a) for a in actions}}


def load_preview(shop, action: str, customer_id: int | None,
                 draft: tuple[str, str]) -> dict:
    """The draft as one customer (or the sample) would get it, its footer apart, and
    the error that saving the draft would give ('' when none)."""
    try:
        check(*draft)
        problem = ""
    except OtokuiError as exc:
        problem = str(exc)
    try:
        shown = shop.mail.preview(action, customer_id, draft)
    except OtokuiError as exc:
        return {"error": str(exc), "problem": problem}
    tail = footer(shop.mail.settings().sender)
    body = shown["body"]
    main, end = (body[:-len(tail)], tail) if body.endswith(tail) else (body, "")
    return {**shown, "main": main, "footer": end, "problem": problem, "error": ""}


def preview_html(shown: dict) -> str:
    if shown.get("error"):
        return f"<p style='{ERROR_STYLE}'>{escape(shown['error'])}</p>"
    rows = [f"<b>宛先:</b> {escape(shown['to'] or '（メールアドレスなし）')}",
            f"<b>件名:</b> {escape(shown['subject'])}"]
    if shown["block"]:
        rows.append(f"<span style='{ERROR_STYLE}'>このお客様には送りません: "
                    f"{escape(shown['block'])}</span>")
    body = escape(shown["main"]).replace("\n", "<br>")
    tail = escape(shown["footer"].strip("\n")).replace("\n", "<br>")
    return ("<br>".join(rows) + "<hr>" + body
            + f"<div style='color:#777'><br><i>{FOOTER_NOTE}</i><br>{tail}</div>")


class MailTemplateDialog(QDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("メールの文面")
        self.templates: dict = {}
        self._undo: list[tuple[int, str]] = []
        self._saved = ("", "")
        self._previews = LatestLoad(ctx, self)

        self.actions = QListWidget()
        # Actions are long sentences: wrapped, never cut off behind a scroll bar.
        self.actions.setWordWrap(True)
        self.actions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.actions.setSpacing(2)
        self.actions.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.actions.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.actions.currentItemChanged.connect(self._action_changed)
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self._last_editor: QWidget = self.body
        palette = QGridLayout()
        for index, (name, meaning) in enumerate(FIELDS.items()):
            button = QPushButton(f"{{{name}}}")
            button.setToolTip(meaning)
            button.clicked.connect(lambda _checked=False, n=name: self.insert_field(n))
            palette.addWidget(button, index // 4, index % 4)
        self.custom = QLabel()
        self.custom.setStyleSheet("color: #555")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.customer = QSpinBox()
        self.customer.setRange(0, 99_999_999)
        self.customer.setSpecialValueText(SAMPLE)
        self.customer.setPrefix("顧客番号 ")
        self.customer.setToolTip("顧客番号を入れると、そのお客様に届く文面を表示します"
                                 "（0 で見本のお客様）。")
        self.preview = QTextBrowser()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        for signal in (self.subject.textChanged, self.body.textChanged,
                       self.customer.valueChanged):
            signal.connect(self._edited)

        self.save_button = QPushButton("保存")
        self.save_button.clicked.connect(self.save)
        self.undo_button = QPushButton("元に戻す")
        self.undo_button.setToolTip("この画面で直前に保存（または標準に戻す）した操作を取り消します。")
        self.undo_button.clicked.connect(self.undo)
        self.reset_button = QPushButton("標準の文面に戻す")
        self.reset_button.clicked.connect(self.reset)
        self.test_button = QPushButton("テスト送信")
        self.test_button.setToolTip("見本のお客様あての文面を、お店自身のアドレスに送ります"
                                    "（未保存の変更は先に保存します）。")
        self.test_button.clicked.connect(self.send_test)
        close_button = QPushButton("閉じる")
        close_button.clicked.connect(self.reject)

        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(QLabel("件名"))
        editor_layout.addWidget(self.subject)
        editor_layout.addWidget(QLabel("本文"))
        editor_layout.addWidget(self.body, 1)
        fields = QGroupBox("差し込み項目（クリックでカーソルの位置に入ります）")
        fields.setLayout(palette)
        editor_layout.addWidget(fields)
        editor_layout.addWidget(self.custom)
        editor_layout.addWidget(self.error)
        viewer = QWidget()
        viewer_layout = QVBoxLayout(viewer)
        viewer_layout.setContentsMargins(0, 0, 0, 0)
        who = QHBoxLayout()
        who.addWidget(QLabel("プレビュー"))
        who.addStretch(1)
        who.addWidget(self.customer)
        viewer_layout.addLayout(who)
        viewer_layout.addWidget(self.preview, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("施策（フォロールールの内容）"))
        left_layout.addWidget(self.actions, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, editor, viewer):
            splitter.addWidget(widget)
        splitter.setSizes([310, 390, 400])
        splitter.setChildrenCollapsible(False)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.undo_button, self.reset_button, self.test_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(1100, 620)
        self._update_buttons()
        self.load()

    # --- loading --------------------------------------------------------------------

    def load(self, select: str | None = None) -> None:
        self.ctx.run(self, lambda shop, p, c: load_templates(shop),
                     lambda loaded: self._show(loaded, select))

    def _show(self, loaded: dict, select: str | None) -> None:
        current = select if select is not None else self.current_action()
        self.templates = loaded["templates"]
        self.actions.blockSignals(True)
        self.actions.clear()
        for action, template in self.templates.items():
            text = COMMON_LABEL if action == COMMON else action
            if action != COMMON and template.action == COMMON:
                text += "（共通の文面）"
            elif template.custom:
                text += "（編集済み）"
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(Qt.ItemDataRole.UserRole, action)
            self.actions.addItem(item)
        actions = list(self.templates)
        self.actions.setCurrentRow(actions.index(current) if current in actions else 0)
        self.actions.blockSignals(False)
        self._show_template()

    def current_action(self) -> str | None:
        item = self.actions.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _action_changed(self, current, previous) -> None:
        if previous is not None and self.dirty() and not confirm(
                self, "保存していない変更があります。変更を捨てて、ほかの施策に移りますか？",
                "変更を捨てる"):
            self.actions.blockSignals(True)
            self.actions.setCurrentItem(previous)
            self.actions.blockSignals(False)
            return
        self._show_template()

    def _show_template(self) -> None:
        action = self.current_action()
        template = self.templates.get(action)
        if template is None:
            return
        self._saved = (template.subject, template.body)
        self.subject.setText(template.subject)
        self.subject.setCursorPosition(0)
        self.body.setPlainText(template.body)
        if action != COMMON and template.action == COMMON:
            self.custom.setText("この施策は共通の文面を使っています。保存すると、この施策だけの文面になります。")
        else:
            self.custom.setText("お店で編集した文面です。" if template.custom else "標準の文面です。")
        self.error.clear()
        self.refresh_preview()

    # --- editing --------------------------------------------------------------------

    def draft(self) -> tuple[str, str]:
        return self.subject.text(), self.body.toPlainText()

    def dirty(self) -> bool:
        return self.current_action() is not None and self.draft() != self._saved

    def insert_field(self, name: str) -> None:
        editor = self._last_editor
        editor.insert(f"{{{name}}}") if editor is self.subject else \
            editor.insertPlainText(f"{{{name}}}")
        editor.setFocus()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def hideEvent(self, event) -> None:
        try:
            QApplication.instance().focusChanged.disconnect(self._focus_changed)
        except (RuntimeError, TypeError):
            pass
        super().hideEvent(event)

    def _focus_changed(self, _old, new) -> None:
        if new in (self.subject, self.body):
            self._last_editor = new

    def _edited(self) -> None:
        self._update_buttons()
        self._timer.start()

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.dirty())
        self.undo_button.setEnabled(bool(self._undo))
        self.undo_button.setToolTip(f"取り消す操作: {self._undo[-1][1]}" if self._undo else "")

    def refresh_preview(self) -> None:
        self._timer.stop()
        action = self.current_action()
        if action is None:
            return
        draft, number = self.draft(), self.customer.value() or None
        self._previews.run(lambda shop: load_preview(shop, action, number, draft),
                           self._show_preview)

    def _show_preview(self, shown: dict | None) -> None:
        if shown is None:
            return
        self.shown = shown
        self.preview.setHtml(preview_html(shown))
        self.error.setText(shown["problem"])

    # --- saving ---------------------------------------------------------------------

    def _run_change(self, op, label: str, after=None) -> None:
        action = self.current_action()

        def done(change) -> None:
            self._undo.append((change.operation, label))
            self.load(select=action)
            if after is not None:
                after(change)
            self._update_buttons()
        self.ctx.run(self, op, done, changes_data=True, failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        show_in_form(self, self.error, exc)
        self.status.clear()

    def save(self) -> None:
        action, (subject, body) = self.current_action(), self.draft()
        self.status.setText("")
        self._run_change(lambda shop, p, c: shop.mail.save_template(action, subject, body),
                         "文面の保存", lambda _r: self.status.setText("保存しました。"))

    def reset(self) -> None:
        action = self.current_action()
        if not confirm(self, "この施策の文面を標準の文面に戻します（「元に戻す」で取り消せます）。",
                       "標準に戻す"):
            return
        self._run_change(lambda shop, p, c: shop.mail.reset_template(action),
                         "標準の文面に戻す", lambda _r: self.status.setText("標準の文面に戻しました。"))

    def undo(self) -> None:
        op_id, label = self._undo[-1]
        action = self.current_action()

        def done(_result) -> None:
            self._undo.pop()
            self.load(select=action)
            self.status.setText(f"「{label}」を取り消しました。")
            self._update_buttons()
        self.ctx.run(self, lambda shop, p, c: shop.journal.undo(op_id), done, changes_data=True)

    def send_test(self) -> None:
        """Unsaved edits are saved first (one undoable step), then the saved text goes
        out for the sample customer to the shop's own address."""
        action, (subject, body) = self.current_action(), self.draft()
        if self.dirty():
            self._run_change(lambda shop, p, c: shop.mail.save_template(action, subject, body),
                             "文面の保存", lambda _change: self._send_test(action, "保存して、"))
        else:
            self._send_test(action, "")

    def _send_test(self, action: str, before: str) -> None:
        self.status.setText("送信しています…")
        self.ctx.run(self, lambda shop, p, c: shop.mail.send_test(action),
                     lambda to: self.status.setText(f"{before}{to} にテストメールを送りました。"),
                     failure=self._failed)

    def reject(self) -> None:
        if self.dirty() and not confirm(self, "保存していない変更があります。閉じますか？",
                                        "閉じる"):
            return
        super().reject()


def open_mail_templates(parent: QWidget, ctx: AppContext) -> MailTemplateDialog:
    dialog = MailTemplateDialog(parent, ctx)
    dialog.open()
    return dialog
