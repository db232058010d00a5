"""Print preview, printing and saving laid-out pages, with Qt's standard dialogs."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QBoxLayout, QDialog, QPushButton, QWidget

from engine.printing.page import Page
from gui.widgets.print_render import paint_pages, prepare_printer, write_pdf


def _printer(pages: list[Page], title: str) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    prepare_printer(printer, pages)
    return printer


def preview(parent: QWidget, pages: list[Page], title: str) -> bool:
    """Show the pages as they will print; True when the user printed from the preview."""
    printer = _printer(pages, title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"印刷プレビュー — {title}")
    dialog.paintRequested.connect(lambda device: paint_pages(device, pages))
    dialog.resize(900, 1000)
    return dialog.exec() == QDialog.DialogCode.Accepted


def print_pages(parent: QWidget, pages: list[Page], title: str) -> bool:
    """Ask for a printer and print; True when printed."""
    printer = _printer(pages, title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"印刷 — {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    paint_pages(printer, pages)
    return True


def save_pdf(ctx, parent: QWidget, pages: list[Page], target: Path, title: str,
             then=None) -> None:
    """Write the PDF on the worker thread behind a progress dialog with キャンセル (a few
    thousand labels take seconds); ``then()`` runs once it is saved. A failure or a
    cancel is shown as usual and leaves no half-written file."""
    ctx.run(parent, lambda shop, progress, cancel: write_pdf(pages, target, title, progress,
                                                             cancel),
            None if then is None else (lambda _page_count: then()), label="PDFを保存しています…")


def add_buttons(layout: QBoxLayout, actions) -> None:
    """A push button per (text, slot) pair, appended to ``layout``."""
    for text, slot in actions:
        button = QPushButton(text)
        button.clicked.connect(slot)
        layout.addWidget(button)
