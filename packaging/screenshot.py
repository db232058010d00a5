"""Screenshot of the main window for the README, taken offscreen from the source tree.

    python packaging/screenshot.py [--tab 顧客] [--out docs/screenshots/main-window.png]

The window shows a temporary shop with every sample export imported, never real data.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "samples"
DEFAULT_OUT = ROOT / "docs" / "screenshots" / "main-window.png"


def take(out: Path, tab: str | None, size: tuple[int, int] = (1280, 820)) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    import engine
    from gui.context import AppContext
    from gui.fonts import japanese_font_family
    from gui.main_window import MainWindow
    from gui.worker import wait_for_worker

    app = QApplication.instance() or QApplication(sys.argv[:1])
    font = app.font()
    font.setFamily(japanese_font_family())
    app.setFont(font)
    with tempfile.TemporaryDirectory() as tmp:
        shop = engine.Shop(Path(tmp) / "screenshot.db")
        for name in json.loads((SAMPLES / "meta.json").read_text("utf-8"))["files"]:
            shop.imports.import_file(SAMPLES / name)
        window = MainWindow(AppContext(shop))
        window.resize(*size)
        if tab:
            window.tabs.setCurrentWidget(window.tab(tab))
        window.show()
        for _ in range(20):  # let lazy models and layouts settle
            app.processEvents()
        wait_for_worker()
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        shop.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tab", default=None, help="tab title to show (default: the first)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    print(take(args.out, args.tab))


if __name__ == "__main__":
    main()
