"""The 基準日 bar: a calm reminder when the monthly import was forgotten."""
from datetime import date, timedelta

import pytest

from gui.context import AppContext
from gui.main_window import MainWindow
from gui.widgets.as_of_bar import overdue_notice
from tests.support.engine_side import engine_shop, on_engine
from tests.support.sample_shop import settle
from tests.support.tiny_shop import order_file

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_the_notice_appears_only_after_45_days():
    today = date(2026, 3, 20)
    assert overdue_notice(today - timedelta(days=45), today) == ""
    assert overdue_notice(today - timedelta(days=46), today) == (
        "最新の注文は46日前です。今月分の注文データを取り込んでください。")
    assert overdue_notice(None, today) == ""  # an empty shop is told elsewhere


def test_a_forgotten_import_is_pointed_out_until_orders_are_imported(qtbot, tmp_path):
    shop = engine_shop()
    old = (date.today() - timedelta(days=60)).isoformat()
    on_engine(lambda: shop.imports.import_file(
        order_file(tmp_path, "old.csv", [("A", "1", old, "S1", 1000, 1)])))
    window = MainWindow(AppContext(shop))
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    notice = window.as_of_bar.overdue
    assert notice.isVisible()
    assert notice.text() == "最新の注文は60日前です。今月分の注文データを取り込んでください。"

    fresh = order_file(tmp_path, "new.csv",
                       [("A", "2", date.today().isoformat(), "S1", 1000, 1)])
    window.ctx.run(window, lambda shop, p, c: shop.imports.import_file(fresh),
                   changes_data=True)
    settle(qtbot)
    assert not notice.isVisible()


def test_an_empty_shop_gets_no_notice(qtbot):
    window = MainWindow(AppContext(engine_shop()))
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    assert not window.as_of_bar.overdue.isVisible()
