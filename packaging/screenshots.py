"""One PNG per tab of the main window, showing the demo shop, taken offscreen.

    python packaging/screenshots.py OUT_FOLDER [--size 1366x728]
    QT_SCALE_FACTOR=1.5 python packaging/screenshots.py OUT_FOLDER --size 1280x632

The demo shop is built in a temporary folder (never the user's data); the files
are named after the tabs' order, e.g. ``2_ダッシュボード.png``, and
``2_ダッシュボード_時間軸.png`` shows the dashboard's time axis, computed.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def take_all(out: Path, size: tuple[int, int] = (1366, 728)) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import engine
    from engine.app.demo import build_demo
    from gui.app import setup_application
    from gui.context import AppContext
    from gui.engine_thread import engine_thread
    from gui.main_window import MainWindow
    from gui.worker import wait_for_worker

    app = setup_application()
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory() as tmp:
        path = build_demo(Path(tmp) / "otokui_demo.db")
        # Opened on the engine thread, the only one the window's shop may be used on.
        ctx = AppContext(engine_thread().call(lambda: engine.Shop(path)))
        window = MainWindow(ctx)
        window.resize(*size)
        window.show()
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            _settle(app, wait_for_worker)
            target = out / f"{index + 1}_{window.tabs.tabText(index)}.png"
            window.grab().save(str(target))
            saved.append(target)
            title = window.tabs.tabText(index)
            saved += _pages(window, window.tabs.widget(index), app, wait_for_worker,
                            out / f"{index + 1}_{title}")
            if title == "ダッシュボード":
                saved.append(_time_axis(window.tabs.widget(index), app, wait_for_worker,
                                        out / f"{index + 1}_{title}_時間軸.png"))
        window.close()
        ctx.close()
    return saved


def _pages(window, tab, app, wait_for_worker, stem: Path) -> list[Path]:
    """A tab made of pages (セグメント・フォロー, 印刷): every page after the first."""
    from PySide6.QtWidgets import QTabWidget
    pages = tab.findChild(QTabWidget)
    saved = []
    for page in range(1, pages.count() if pages is not None else 0):
        pages.setCurrentIndex(page)
        _settle(app, wait_for_worker)
        target = stem.with_name(f"{stem.name}_{pages.tabText(page)}.png")
        window.grab().save(str(target))
        saved.append(target)
    if pages is not None:
        pages.setCurrentIndex(0)
    return saved


def _time_axis(dashboard, app, wait_for_worker, target: Path) -> Path:
    """The dashboard's time axis is computed on request: compute it and show it."""
    dashboard.time_axis.compute_button.click()
    _settle(app, wait_for_worker)
    dashboard.time_axis.grab().save(str(target))
    return target


def _settle(app, wait_for_worker) -> None:
    """Let tabs load on the worker, then lay out what they loaded."""
    for _ in range(3):
        app.processEvents()
        wait_for_worker()
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--size", default="1366x728", help="window size WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    for path in take_all(args.out, (width, height)):
        print(path)


if __name__ == "__main__":
    main()
