import pytest

from engine import Shop
from engine.errors import OtokuiError
from engine.research.journeys import ROW, STAGE


@pytest.fixture
def shop():
    with Shop(":memory:") as shop:
        yield shop


def names(lanes):
    return [lane.name for lane in lanes]


def test_new_map_has_the_default_stages_and_rows(shop):
    map_id = shop.journeys.create("TOP1%のお客様", cluster="top1", persona="50代女性").created
    journey = shop.journeys.get(map_id)
    assert names(journey.stages) == ["認知", "興味・関心", "初回購入", "2回目購入", "定期購入",
                                     "ファン"]
    assert names(journey.rows) == ["タッチポイント", "顧客の行動", "感情", "顧客の声",
                                   "自社の施策"]
    assert (journey.name, journey.cluster, journey.persona) == ("TOP1%のお客様", "top1",
                                                                "50代女性")
    assert shop.journeys.list_maps()[0]["name"] == "TOP1%のお客様"


def test_cells_are_saved_and_cleared(shop, tmp_path):
    path = tmp_path / "shop.db"
    with Shop(path) as first:
        map_id = first.journeys.create("定期購入者").created
        journey = first.journeys.get(map_id)
        stage, row = journey.stages[2], journey.rows[3]
        first.journeys.set_cell(stage.id, row.id, "  思ったより早く届いた\n梱包が丁寧  ")
    with Shop(path) as again:
        journey = again.journeys.get(map_id)
        assert journey.cell(stage.id, row.id) == "思ったより早く届いた\n梱包が丁寧"
        again.journeys.set_cell(stage.id, row.id, "")
        assert again.journeys.get(map_id).cells == {}


def test_stages_and_rows_can_be_added_renamed_moved_and_deleted(shop):
    map_id = shop.journeys.create("m", stages=["A", "B", "C"], rows=["x", "y"]).created
    d = shop.journeys.add_lane(map_id, STAGE, "D", index=1).created
    assert names(shop.journeys.get(map_id).stages) == ["A", "D", "B", "C"]
    shop.journeys.rename_lane(STAGE, d, " 検討 ")
    shop.journeys.move_lane(STAGE, d, 99)
    assert names(shop.journeys.get(map_id).stages) == ["A", "B", "C", "検討"]
    journey = shop.journeys.get(map_id)
    shop.journeys.set_cell(journey.stages[0].id, journey.rows[1].id, "メモ")
    z = shop.journeys.add_lane(map_id, ROW, "z").created
    shop.journeys.move_lane(ROW, z, 0)
    assert names(shop.journeys.get(map_id).rows) == ["z", "x", "y"]
    shop.journeys.delete_lane(ROW, journey.rows[1].id)
    after = shop.journeys.get(map_id)
    assert names(after.rows) == ["z", "x"]
    assert after.cells == {}
    assert [r["position"] for r in shop.db.query(
        "SELECT position FROM journey_rows WHERE map_id = ? ORDER BY position", (map_id,))] == [0, 1]


def test_last_lane_and_empty_names_are_refused(shop):
    map_id = shop.journeys.create("m", stages=["A"], rows=["x"]).created
    journey = shop.journeys.get(map_id)
    with pytest.raises(OtokuiError, match="最後の段階"):
        shop.journeys.delete_lane(STAGE, journey.stages[0].id)
    with pytest.raises(OtokuiError, match="項目の名前"):
        shop.journeys.rename_lane(ROW, journey.rows[0].id, "  ")
    with pytest.raises(OtokuiError, match="マップの名前"):
        shop.journeys.create(" ")


def test_cells_of_two_maps_do_not_mix(shop):
    one = shop.journeys.get(shop.journeys.create("one").created)
    two = shop.journeys.get(shop.journeys.create("two").created)
    with pytest.raises(OtokuiError, match="別のマップ"):
        shop.journeys.set_cell(one.stages[0].id, two.rows[0].id, "x")


def test_duplicate_copies_cells_and_delete_is_undoable(shop):
    source_id = shop.journeys.create("TOP1%", cluster="top1").created
    source = shop.journeys.get(source_id)
    shop.journeys.set_cell(source.stages[5].id, source.rows[4].id, "誕生日に手書きの手紙")
    source = shop.journeys.get(source_id)
    copy_id = shop.journeys.duplicate(source_id, "TOP10%", cluster="top10").created
    copy = shop.journeys.get(copy_id)
    assert copy.cluster == "top10"
    assert copy.cell(copy.stages[5].id, copy.rows[4].id) == "誕生日に手書きの手紙"
    shop.journeys.delete(source_id)
    assert [m["id"] for m in shop.journeys.list_maps()] == [copy_id]
    shop.journal.undo(shop.db.scalar("SELECT max(id) FROM operations"))
    restored = shop.journeys.get(source_id)
    assert restored.cells == source.cells and restored.stages == source.stages


def test_undo_of_a_cell_edit_restores_the_old_text(shop):
    journey = shop.journeys.get(shop.journeys.create("m").created)
    stage, row = journey.stages[0].id, journey.rows[0].id
    shop.journeys.set_cell(stage, row, "Instagram")
    shop.journeys.set_cell(stage, row, "Instagram、雑誌")
    shop.journal.undo(shop.db.scalar("SELECT max(id) FROM operations"))
    assert shop.journeys.get(journey.id).cell(stage, row) == "Instagram"
