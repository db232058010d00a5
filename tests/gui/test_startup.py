"""First start: the welcome dialog offers the demo shop, which opens with its data."""
from datetime import date

import pytest

import engine
from gui import startup
from gui.context import AppContext
from gui.main_window import MainWindow
from gui.startup import WelcomeDialog, choose_first_database, database_to_open
from engine.dates import add_months, month_of
from tests.support.engine_side import engine_shop, on_engine

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    return tmp_path


def answer_welcome(monkeypatch, choice):
    def exec_(dialog):
        [button] = [b for b in dialog.findChildren(startup.QPushButton)
                    if b.text() == choice]
        button.click()
        return dialog.result()
    monkeypatch.setattr(WelcomeDialog, "exec", exec_)


def test_first_start_with_the_demo_shop_shows_its_customers(qtbot, home, monkeypatch):
    assert database_to_open() is None
    answer_welcome(monkeypatch, "デモのお店で試す")
    path = choose_first_database()
    assert path == home / "otokui_demo.db" and path.is_file()
    window = MainWindow(AppContext(engine_shop(path)))
    qtbot.addWidget(window)
    # The welcome dialog promised these: 345 customers, 27 months up to last month.
    qtbot.waitUntil(lambda: window.counts_label.text() == "顧客 345人　注文 713件", timeout=10000)
    assert "架空のお客様345人と先月までの27か月分の注文" in " ".join(
        label.text() for label in WelcomeDialog().findChildren(startup.QLabel))
    months = on_engine(lambda: window.ctx.shop.db.query(
        "SELECT count(DISTINCT substr(order_date, 1, 7)) AS months, "
        "max(order_date) AS newest FROM orders"))[0]
    assert months["months"] == 27
    assert months["newest"][:7] == add_months(month_of(date.today()), -1)
    assert window.windowTitle() == "Otokui（お得意様） — otokui_demo.db"
    qtbot.waitUntil(lambda: window.tab("取込").history.rowCount() == 30)
    assert window.as_of_bar.overdue.text() == ""  # the demo is up to date
    window.ctx.close()


def test_new_database_is_the_default_file(home, monkeypatch):
    answer_welcome(monkeypatch, "新しいデータベースで始める")
    assert choose_first_database() == home / "otokui.db"


def test_closing_the_welcome_dialog_opens_nothing(home, monkeypatch):
    monkeypatch.setattr(WelcomeDialog, "exec", lambda dialog: WelcomeDialog.DialogCode.Rejected)
    assert choose_first_database() is None


def test_a_remembered_database_is_opened_without_asking(home, tmp_path):
    path = tmp_path / "shop.db"
    engine.Shop(path).close()
    startup.remember_database(path)
    assert database_to_open() == path.resolve()
    path.unlink()
    assert database_to_open() is None
    engine.Shop(home / "otokui.db").close()
    assert database_to_open() == home / "otokui.db"
