"""Start-up timing and the smoke test's automatic quit."""
import logging
import time

from gui.first_window import MARKER, SMOKE_QUIT_ENV, watch_first_window


class _App:
    def __init__(self):
        self.quit_calls = 0

    def quit(self):
        self.quit_calls += 1


def test_smoke_mode_prints_marker_and_quits(qtbot, monkeypatch, capsys):
    monkeypatch.setenv(SMOKE_QUIT_ENV, "10")
    app = _App()
    watch_first_window(app, time.perf_counter())
    qtbot.waitUntil(lambda: app.quit_calls == 1, timeout=2000)
    assert capsys.readouterr().out.startswith(MARKER)


def test_normal_start_only_logs(qtbot, monkeypatch, capsys, caplog):
    monkeypatch.delenv(SMOKE_QUIT_ENV, raising=False)
    app = _App()
    caplog.set_level(logging.INFO, logger="gui.first_window")
    watch_first_window(app, time.perf_counter() - 1.5)
    qtbot.waitUntil(lambda: "First window shown" in caplog.text, timeout=2000)
    qtbot.wait(50)
    assert app.quit_calls == 0 and capsys.readouterr().out == ""
    [record] = caplog.records
    assert 1.5 <= float(record.args[0]) < 10
    assert record.args[1] == "bundled"  # gui.widgets.fonts registered resources/fonts/ipaexg.ttf
