"""Screenshot of the main window for the README, taken offscreen from the source tree.

    python packaging/screenshot.py --tab 顧客 --row 1   (the README's screenshot)

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


def take(out: Path, tab: str | None, row: int | None,
         size: tuple[int, int] = (1280, 820)) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import engine
    from gui.app import setup_application
    from gui.context import AppContext
    from gui.main_window import MainWindow
    from gui.worker import wait_for_worker

    app = setup_application()
    with tempfile.TemporaryDirectory() as tmp:
        shop = engine.Shop(Path(tmp) / "screenshot.db")
        for name in json.loads((SAMPLES / "meta.json").read_text("utf-8"))["files"]:
            shop.imports.import_file(SAMPLES / name)
        window = MainWindow(AppContext(shop))
        window.resize(*size)
        if tab:
            window.tabs.setCurrentWidget(window.tab(tab))
        window.show()
        _settle(app, wait_for_worker)
        if row is not None:
            window.tabs.currentWidget().view.selectRow(row)
            _settle(app, wait_for_worker)
        # The real status bar would show this machine's temporary path.
        window.db_label.setText("データベース: %LOCALAPPDATA%\\Otokui\\otokui.db")
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        shop.close()
    return out


def _settle(app, wait_for_worker) -> None:
    """Let engine jobs and the UI updates they queue (which may queue more) finish."""
    for _ in range(6):
        wait_for_worker()
        for _ in range(5):
            app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tab", default=None, help="tab title to show (default: the first)")
    parser.add_argument("--row", type=int, default=None,
                        help="select this row of the tab's list (e.g. to open a customer)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    print(take(args.out, args.tab, args.row))


if __name__ == "__main__":
    main()
