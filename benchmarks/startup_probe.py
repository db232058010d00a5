"""One start of the desktop program on a database, timed (run by benchmarks/run.py).

    python benchmarks/startup_probe.py DATABASE

Prints one JSON line: seconds from the start of this process to the first window
shown and to the first screen loaded (every job the window queued at start-up
finished on the engine thread: the 今日 list and the status bar's counts), and
to the end of the background integrity check when one ran. Runs with Qt's
offscreen platform and a throwaway home folder.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(db_path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["OTOKUI_HOME"] = tempfile.mkdtemp(prefix="otokui-probe-")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import gui.first_window as first_window
    import gui.recovery as recovery
    from gui.engine_thread import engine_thread

    times: dict[str, float] = {}

    def loaded() -> None:
        if engine_thread().busy():
            QTimer.singleShot(5, loaded)
            return
        times["loaded"] = time.perf_counter() - STARTED
        QTimer.singleShot(0, finish)

    def finish() -> None:
        if "checked" not in times and checks:
            QTimer.singleShot(20, finish)
            return
        QApplication.instance().quit()

    def watch(app, started) -> None:
        def shown() -> None:
            times["shown"] = time.perf_counter() - STARTED
            loaded()
        QTimer.singleShot(0, shown)

    checks = []
    original = getattr(recovery, "check_in_background", None)
    if original is not None:
        def check(*args, **kwargs):
            checks.append(1)
            kwargs["on_done"] = lambda: times.setdefault("checked", time.perf_counter() - STARTED)
            return original(*args, **kwargs)
        recovery.check_in_background = check
    first_window.watch_first_window = watch
    import gui.app as app
    app.run(db_path)
    print(json.dumps(times))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
