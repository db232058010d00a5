import pandas as pd
import pytest

from engine.analysis.rfm import CLUSTER_LABELS
from engine.errors import OtokuiError
from engine.research.survey_model import QuestionSpec
from tests.support.survey_shop import build_shop

AS_OF = "2025-01-01"


@pytest.fixture
def shop():
    with build_shop() as shop:
        yield shop


def make_survey(shop):
    survey_id = shop.surveys.create("テスト", questions=[
        QuestionSpec("choice", "理由", ("A", "B", "C")),
        QuestionSpec("scale", "満足度", scale_min=1, scale_max=5, min_label="不満",
                     max_label="満足"),
        QuestionSpec("text", "ご意見"),
    ]).created
    survey = shop.surveys.get(survey_id)
    choice, scale, text = survey.questions
    options = {o.label: o.id for o in choice.options}
    answers = {  # customer -> (option, scale, text)
        1: ("A", 5, "とても良い"),
        2: ("B", 4, None),
        4: ("A", 3, "普通"),
        6: ("A", 2, ""),
        8: ("C", None, "高い"),
        3: ("B", 4, None),
        11: ("C", 1, "届かなかった"),
    }
    for customer, (option, number, words) in answers.items():
        shop.surveys.save_response(survey_id, customer, {
            choice.id: options[option], scale.id: number, text.id: words},
            answered_on="2024-12-01")
    return survey_id, survey


def test_choice_counts_by_cluster(shop):
    survey_id, _ = make_survey(shop)
    table = shop.surveys.results(survey_id, as_of=AS_OF)[0].table
    assert list(table.columns) == ["選択肢", "TOP1%", "TOP20%", "1回購入", "2〜3回購入",
                                   "未購入", "合計"]
    assert table.values.tolist() == [
        ["A", 1, 0, 2, 0, 0, 3],
        ["B", 0, 1, 0, 1, 0, 2],
        ["C", 0, 0, 1, 0, 1, 2],
        ["回答数", 1, 1, 3, 1, 1, 7],
    ]


def test_scale_averages_by_cluster(shop):
    survey_id, _ = make_survey(shop)
    table = shop.surveys.results(survey_id, as_of=AS_OF)[1].table
    assert list(table.columns) == ["クラスター", "回答数", "平均", "1（不満）", "2", "3", "4",
                                   "5（満足）"]
    rows = {r[0]: r[1:] for r in table.values.tolist()}
    assert rows["TOP1%"] == [1, 5.0, 0, 0, 0, 0, 1]
    assert rows["TOP20%"] == [1, 4.0, 0, 0, 0, 1, 0]
    assert rows["1回購入"] == [2, 2.5, 0, 1, 1, 0, 0]  # customers 4 (3) and 6 (2); 8 skipped
    assert rows["2〜3回購入"] == [1, 4.0, 0, 0, 0, 1, 0]
    assert rows["未購入"] == [1, 1.0, 1, 0, 0, 0, 0]
    assert rows["合計"][0] == 6
    assert rows["合計"][1] == pytest.approx(19 / 6)
    assert rows["合計"][2:] == [1, 1, 1, 2, 1]


def test_free_text_listed_by_cluster_with_customer(shop):
    survey_id, _ = make_survey(shop)
    table = shop.surveys.results(survey_id, as_of=AS_OF)[2].table
    assert table.values.tolist() == [
        [1, "青木 一郎", "TOP1%", "2024-12-01", "とても良い"],
        [4, "江藤 四季", "1回購入", "2024-12-01", "普通"],
        [8, "久保 八重", "1回購入", "2024-12-01", "高い"],
        [11, "清水 未来", "未購入", "2024-12-01", "届かなかった"],
    ]


def test_editing_an_answer_replaces_it_and_undo_restores_it(shop):
    survey_id, survey = make_survey(shop)
    choice, scale, text = survey.questions
    b = choice.options[1].id
    shop.surveys.save_response(survey_id, 4, {choice.id: b, scale.id: 3})
    assert shop.db.scalar("SELECT count(*) FROM survey_responses") == 7
    response = shop.surveys.response(survey_id, 4)
    assert response.answers == {choice.id: b, scale.id: 3}
    counts = shop.surveys.results(survey_id, as_of=AS_OF)[0].table
    assert counts.iloc[0, 3] == 1 and counts.iloc[1, 3] == 1  # once: A 1, B 1
    last_op = shop.db.scalar("SELECT max(id) FROM operations")
    shop.journal.undo(last_op)
    restored = shop.surveys.response(survey_id, 4)
    assert restored.answers == {choice.id: choice.options[0].id, scale.id: 3, text.id: "普通"}


def test_invalid_answers_are_refused(shop):
    survey_id, survey = make_survey(shop)
    choice, scale, _ = survey.questions
    with pytest.raises(OtokuiError, match="1〜5"):
        shop.surveys.save_response(survey_id, 5, {scale.id: 6})
    with pytest.raises(OtokuiError, match="選択肢"):
        shop.surveys.save_response(survey_id, 5, {choice.id: 999})
    with pytest.raises(OtokuiError, match="見つかりません"):
        shop.surveys.save_response(survey_id, 999, {scale.id: 3})
    assert shop.surveys.response(survey_id, 5) is None


def test_question_specs_are_checked():
    with pytest.raises(OtokuiError, match="2つ以上"):
        QuestionSpec("choice", "理由", ("A",)).checked()
    with pytest.raises(OtokuiError, match="0〜10"):
        QuestionSpec("scale", "満足度", scale_min=1, scale_max=11).checked()
    assert QuestionSpec("choice", " 理由 ", (" A ", "", "B")).checked().options == ("A", "B")


def test_renaming_an_option_keeps_answers_and_removing_one_drops_them(shop):
    survey_id, survey = make_survey(shop)
    choice = survey.questions[0]
    shop.surveys.update_question(choice.id, QuestionSpec("choice", "理由", ("AA", "B")))
    table = shop.surveys.results(survey_id, as_of=AS_OF)[0].table
    assert table["選択肢"].tolist() == ["AA", "B", "回答数"]
    assert table["合計"].tolist() == [3, 2, 5]
    with pytest.raises(OtokuiError, match="種類"):
        shop.surveys.update_question(choice.id, QuestionSpec("text", "理由"))


def test_questions_move_and_delete(shop):
    survey_id, survey = make_survey(shop)
    choice, scale, text = survey.questions
    shop.surveys.move_question(text.id, 0)
    assert [q.id for q in shop.surveys.get(survey_id).questions] == [text.id, choice.id, scale.id]
    shop.surveys.delete_question(choice.id)
    after = shop.surveys.get(survey_id).questions
    assert [(q.id, q.position) for q in after] == [(text.id, 0), (scale.id, 1)]
    assert shop.db.scalar("SELECT count(*) FROM survey_answers WHERE question_id = ?",
                          (choice.id,)) == 0


def test_delete_survey_and_undo(shop):
    survey_id, _ = make_survey(shop)
    before = shop.surveys.answers_table(survey_id, as_of=AS_OF)
    shop.surveys.delete(survey_id)
    assert shop.surveys.list_surveys() == []
    shop.journal.undo(shop.db.scalar("SELECT max(id) FROM operations"))
    pd.testing.assert_frame_equal(shop.surveys.answers_table(survey_id, as_of=AS_OF), before)


def test_templates_create_surveys(shop):
    keys = [t.key for t in shop.surveys.templates()]
    assert {"satisfaction_top", "churn_reasons"} <= set(keys)
    survey_id = shop.surveys.create_from_template("churn_reasons").created
    survey = shop.surveys.get(survey_id)
    assert survey.title == "離反理由アンケート"
    assert [q.kind for q in survey.questions] == ["choice", "scale", "scale", "choice", "text"]
    for template in shop.surveys.templates():
        for spec in template.questions:
            spec.checked()


def test_export_answers_csv_and_xlsx(shop, tmp_path):
    survey_id, _ = make_survey(shop)
    frame = shop.surveys.answers_table(survey_id, as_of=AS_OF)
    assert list(frame.columns) == ["顧客ID", "氏名", "クラスター", "回答日", "Q1 理由",
                                   "Q2 満足度", "Q3 ご意見"]
    assert frame.iloc[0].tolist() == [1, "青木 一郎", "TOP1%", "2024-12-01", "A", 5,
                                      "とても良い"]
    csv = tmp_path / "answers.csv"
    assert shop.surveys.export_answers(survey_id, csv, as_of=AS_OF) == 7
    text = csv.read_bytes().decode("utf-8-sig").splitlines()
    assert text[0] == "顧客ID,氏名,クラスター,回答日,Q1 理由,Q2 満足度,Q3 ご意見"
    assert text[5] == "6,加藤 六花,1回購入,2024-12-01,A,2,"
    assert text[6] == "8,久保 八重,1回購入,2024-12-01,C,,高い"
    xlsx = tmp_path / "answers.xlsx"
    shop.surveys.export_answers(survey_id, xlsx, as_of=AS_OF)
    back = pd.read_excel(xlsx)
    assert back["Q2 満足度"].tolist()[:2] == [5, 4]


def test_find_customers_by_id_name_kana_and_phone(shop):
    assert [c["id"] for c in shop.surveys.find_customers("11")][:1] == [11]
    assert [c["id"] for c in shop.surveys.find_customers("青木一郎")] == [1]
    assert [c["id"] for c in shop.surveys.find_customers("あおき")] == [1]
    assert [c["id"] for c in shop.surveys.find_customers("０９００００００００８")] == [8]
    assert shop.surveys.find_customers("  ") == []


def test_results_place_respondents_as_the_shop_segments_do():
    """Survey results take clusters from the segment service, so a shop's own TOP
    percentages move respondents exactly as they move the customer list."""
    with build_shop() as shop:
        survey_id, _survey = make_survey(shop)
        shop.segments.set_percentages({"top1": 10, "top10": 50, "top20": 80})
        table = shop.customers.table(AS_OF)
        expected = dict(zip(table["customer_id"], table["cluster"]))
        people = shop.surveys.answers_table(survey_id, AS_OF)
        labels = {label: code for code, label in
                  {**CLUSTER_LABELS, "none": "未購入"}.items()}
        shown = {int(c): labels[k] for c, k in zip(people["顧客ID"], people["クラスター"])}
        assert shown == {c: expected.get(c, "none") for c in shown}
        # Wider TOP bands than the defaults: someone is TOP10% only because of them.
        assert "top10" in shown.values() or "top1" in shown.values()


def test_an_answer_or_a_question_with_a_broken_character_is_kept_not_refused(shop):
    survey_id = shop.surveys.create("壊れた\ud800文字", questions=[QuestionSpec("text", "ご意見\udfff")]).created
    survey = shop.surveys.get(survey_id)
    assert survey.title == "壊れた\ufffd文字" and survey.questions[0].text == "ご意見\ufffd"
    shop.surveys.save_response(survey_id, 1, {survey.questions[0].id: "良い\ud83d"})
    assert shop.surveys.response(survey_id, 1).answers == {survey.questions[0].id: "良い\ufffd"}
    journey = shop.journeys.create("地図\ud800").created
    stage, row = shop.journeys.get(journey).stages[0], shop.journeys.get(journey).rows[0]
    shop.journeys.set_cell(stage.id, row.id, "メモ\udc00")
    assert shop.journeys.get(journey).cells[(stage.id, row.id)] == "メモ\ufffd"
