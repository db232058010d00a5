import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from gui.context import AppContext
from gui.surveys.entry import AnswerBox
from gui.surveys.tab import SurveysTab
from tests.support.engine_side import hold_engine, on_engine, ui_seconds
from tests.support.sample_shop import settle, show_active
from tests.support.survey_shop import build_shop

# The offscreen platform says this whenever a top-level window is shown.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
# An import keeping the engine thread busy; the tab must not wait for it.
HOLD = 1.5


@pytest.fixture
def shop():
    shop = on_engine(build_shop)
    yield shop
    on_engine(shop.close)


@pytest.fixture
def tab(qtbot, shop):
    on_engine(lambda: shop.surveys.create_from_template("churn_reasons"))
    return show_active(qtbot, SurveysTab(AppContext(shop)), 1200, 800)


def type_into_focus(qtbot, keys):
    """Send keys to whatever has focus, as a user at the keyboard would: one after
    another, each once the engine has answered the one before.

    Japanese text arrives as the input method's commit, as it does from an IME.
    """
    for key in keys:
        settle(qtbot, rounds=2)
        widget = QApplication.focusWidget()
        assert widget is not None, f"nothing has the focus before {key!r}"
        if isinstance(key, str) and not key.isascii():
            event = QInputMethodEvent()
            event.setCommitString(key)
            QApplication.sendEvent(widget, event)
        elif isinstance(key, str) and len(key) > 1:
            qtbot.keyClicks(widget, key)
        else:
            qtbot.keyClick(widget, key)


def test_models_pass_the_model_tester(qtbot, tab, qtmodeltester):
    qtmodeltester.check(tab.list_model)
    qtmodeltester.check(tab.editor.model)
    tab.entry.search.setText("1")
    tab.entry._run_search()
    settle(qtbot)
    assert tab.entry.matches.rowCount() > 0
    qtmodeltester.check(tab.entry.matches)
    for index in range(tab.results.question_box.count()):
        tab.results.question_box.setCurrentIndex(index)
        qtmodeltester.check(tab.results.model)


def test_answer_typed_at_the_keyboard_appears_in_the_results(qtbot, tab, shop):
    survey = tab.survey
    reason, product, again, contact, wish = survey.questions
    tab.entry.search.setFocus()
    # Pick 青木 (TOP1%) by kana, answer 2 (価格が高い), 4, 5, skip, a text, Enter saves.
    type_into_focus(qtbot, ["あおき", Qt.Key.Key_Return])
    settle(qtbot)
    assert tab.entry.customer["id"] == 1
    assert QApplication.focusWidget() is tab.entry.editors[reason.id]
    type_into_focus(qtbot, ["2", Qt.Key.Key_Tab, "4", Qt.Key.Key_Tab, "5", Qt.Key.Key_Tab,
                            Qt.Key.Key_Tab, "もっと安い定期便がほしい", Qt.Key.Key_Return])
    response = on_engine(lambda: shop.surveys.response(survey.id, 1))
    assert response.answers == {reason.id: reason.options[1].id, product.id: 4, again.id: 5,
                                wish.id: "もっと安い定期便がほしい"}
    # Ready for the next customer: empty form, cursor in the customer field.
    assert tab.entry.customer is None
    assert QApplication.focusWidget() is tab.entry.search
    # Next: customer 4 (1回購入) by ID, choice 2 as well, Enter straight from the box.
    type_into_focus(qtbot, ["4", Qt.Key.Key_Return, "2", Qt.Key.Key_Return])
    assert on_engine(lambda: shop.surveys.response(survey.id, 4)).answers == {
        reason.id: reason.options[1].id}
    settle(qtbot)

    results = tab.results
    results.question_box.setCurrentIndex(0)
    model = results.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["選択肢", "TOP1%", "1回購入", "合計"]
    second = [model.index(1, c).data() for c in range(model.columnCount())]
    assert second == ["価格が高い", "1（100%）", "1（100%）", "2（100%）"]
    results.question_box.setCurrentIndex(1)
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert rows == [["TOP1%", "1", "4.00"], ["1回購入", "0", ""], ["合計", "1", "4.00"]]
    results.question_box.setCurrentIndex(4)
    assert model.index(0, 4).data() == "もっと安い定期便がほしい"
    assert tab.list_model.index(0).data().endswith("回答 2件・質問 5問")


def test_reopening_a_customer_shows_and_replaces_their_answers(qtbot, tab, shop):
    survey = tab.survey
    reason, product = survey.questions[:2]
    on_engine(lambda: shop.surveys.save_response(survey.id, 8, {product.id: 2}))
    tab.entry.search.setFocus()
    type_into_focus(qtbot, ["久保", Qt.Key.Key_Return])
    settle(qtbot)
    box = tab.entry.editors[product.id]
    assert isinstance(box, AnswerBox) and box.value() == 2
    assert "回答済み" in tab.entry.customer_label.text()
    type_into_focus(qtbot, [Qt.Key.Key_Tab, "3", Qt.Key.Key_Return])
    assert on_engine(lambda: shop.surveys.response(survey.id, 8)).answers == {product.id: 3}


def test_two_digits_in_quick_succession_pick_ten(qtbot, shop):
    from engine.research.survey_model import QuestionSpec
    survey = on_engine(lambda: shop.surveys.get(shop.surveys.create("NPS", questions=[
        QuestionSpec("scale", "おすすめ度", scale_min=0, scale_max=10)]).created))
    box = AnswerBox(survey.questions[0])
    qtbot.addWidget(box)
    qtbot.keyClick(box, "1")
    qtbot.keyClick(box, "0")
    assert box.value() == 10
    qtbot.keyClick(box, Qt.Key.Key_Delete)
    assert box.value() is None


def test_the_tab_answers_at_once_while_an_import_keeps_the_engine_busy(qtbot, tab, shop):
    churn = tab.survey
    first_id = on_engine(lambda: shop.surveys.create_from_template("first_purchase").created)
    tab.ctx.data_changed.emit()
    settle(qtbot)
    assert tab.survey == churn and tab.list_model.row_of(first_id) == 0

    # Choosing another survey: the click is handled at once, the survey shows after the job.
    hold_engine(tab.ctx, tab, HOLD)
    cell = tab.list_view.visualRect(tab.list_model.index(0))
    spent = ui_seconds(lambda: qtbot.mouseClick(tab.list_view.viewport(),
                                                Qt.MouseButton.LeftButton, pos=cell.center()))
    assert spent < HOLD / 10
    assert tab.survey == churn
    qtbot.waitUntil(lambda: tab.survey is not None and tab.survey.id == first_id,
                    timeout=int(HOLD * 1000) + 5000)
    assert tab.heading.text().startswith("初回購入のお客様アンケート")
    assert len(tab.entry.editors) == 4

    # Typing a customer and Enter: handled at once, the customer is chosen after the job.
    tab.entry.search.setFocus()
    hold_engine(tab.ctx, tab, HOLD)
    spent = ui_seconds(lambda: (qtbot.keyClicks(tab.entry.search, "4"),
                                qtbot.keyClick(tab.entry.search, Qt.Key.Key_Return)))
    assert spent < HOLD / 10
    assert tab.entry.customer is None
    qtbot.waitUntil(lambda: tab.entry.customer is not None, timeout=int(HOLD * 1000) + 5000)
    assert tab.entry.customer["id"] == 4
    assert tab.entry.customer_label.text() == "顧客ID 4　江藤 四季 様　— 未回答"


def test_results_group_the_respondents_by_their_cluster_on_the_as_of_date(qtbot, tab, shop):
    from datetime import date

    survey = tab.survey
    reason = survey.questions[0]
    for customer in (1, 4):
        on_engine(lambda c=customer: shop.surveys.save_response(
            survey.id, c, {reason.id: reason.options[1].id}))
    tab.ctx.set_as_of(date(2025, 1, 1))
    settle(qtbot)
    model = tab.results.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["選択肢", "TOP1%", "1回購入", "合計"]
    # On 2024-04-15 customer 4 (first order 2024-05-01) had not bought yet.
    tab.ctx.set_as_of(date(2024, 4, 15))
    settle(qtbot)
    expected = on_engine(lambda: shop.surveys.results(survey.id, "2024-04-15"))[0].table
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == list(expected.columns) and "1回購入" not in headers
    assert "基準日時点" in tab.results.summary.text()


def test_answers_that_could_not_be_saved_come_back_into_the_form(qtbot, tab, shop, monkeypatch,
                                                                 error_dialogs):
    from engine.store.postgres import ServerUnavailableError
    survey = tab.survey
    reason, product, again, contact, wish = survey.questions
    real_save = shop.surveys.save_response

    def server_gone(*args, **kwargs):
        raise ServerUnavailableError("PostgreSQLサーバー 192.168.1.10:5432 との接続が切れました。")
    monkeypatch.setattr(shop.surveys, "save_response", server_gone)
    tab.entry.search.setFocus()
    type_into_focus(qtbot, ["あおき", Qt.Key.Key_Return])
    settle(qtbot)
    type_into_focus(qtbot, ["2", Qt.Key.Key_Tab, "4", Qt.Key.Key_Tab, Qt.Key.Key_Tab,
                            Qt.Key.Key_Tab, "定期便がほしい", Qt.Key.Key_Return])
    settle(qtbot)
    assert error_dialogs == ["PostgreSQLサーバー 192.168.1.10:5432 との接続が切れました。"]
    error_dialogs.clear()
    assert tab.entry.customer["id"] == 1
    assert tab.entry.answers() == {reason.id: reason.options[1].id, product.id: 4,
                                   again.id: None, contact.id: None, wish.id: "定期便がほしい"}
    assert tab.entry.status.text().startswith("青木")
    assert tab.entry.status.text().endswith("様の回答は保存できませんでした。")
    # Saved once the store answers again.
    monkeypatch.setattr(shop.surveys, "save_response", real_save)
    tab.entry.save()
    settle(qtbot)
    assert on_engine(lambda: shop.surveys.response(survey.id, 1)).answers == {
        reason.id: reason.options[1].id, product.id: 4, wish.id: "定期便がほしい"}
