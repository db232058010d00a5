"""Every real export layout (tests/data/layouts/) imports as dropped, with no format
named, to the hand-computed per-person figures in its expected.csv; the reports
that cannot build customers are refused, saying which report to download."""
import pytest

from engine import Shop
from engine.imports.formats import RefusedReportError
from tests.support.layouts import (DROPS, LAYOUTS, expected, figures_by_person, import_dropped,
                                   paths)
from tests.support.snapshot import snapshot


@pytest.mark.parametrize("folder, names", sorted(DROPS), ids=lambda v: v if isinstance(v, str)
                         else "+".join(v))
def test_a_dropped_layout_gives_the_hand_computed_figures(folder, names):
    shop = Shop(":memory:")
    results = import_dropped(shop, paths(folder, names))
    assert [r.source for r in results] == [DROPS[folder, names]]
    found = figures_by_person(shop)
    assert {person: figures for person, (figures,) in found.items()} == expected(folder)


def test_every_layout_folder_with_expected_figures_is_imported():
    folders = {p.parent.name for p in LAYOUTS.glob("*/expected.csv")
               if len(p.read_text(encoding="utf-8").splitlines()) > 1}
    assert folders == {folder for folder, _ in DROPS}


@pytest.mark.parametrize("folder, name, report", [
    ("amazon_unshipped", "amazon_unshipped_orders.txt", "「未出荷の注文」レポート"),
    ("amazon_all_orders", "amazon_all_orders.txt", "「全注文レポート」"),
])
def test_amazon_reports_without_prices_or_buyers_are_refused_with_the_report_to_use(
        folder, name, report):
    shop = Shop(":memory:")
    shop.imports.import_file(LAYOUTS / "amazon" / "amazon_order_report.txt")
    before = snapshot(shop)
    imports = shop.db.scalar("SELECT count(*) FROM imports")
    with pytest.raises(RefusedReportError) as caught:
        shop.imports.import_file(LAYOUTS / folder / name)
    message = str(caught.value)
    assert message.startswith(f"{name} 1行目: Amazonの{report}です。")
    assert "「注文レポート」をダウンロードしてください" in message
    assert "［注文］→［注文レポート］→［新しい注文］タブ" in message
    assert snapshot(shop) == before
    assert shop.db.scalar("SELECT count(*) FROM imports") == imports
    assert expected(folder) == {}


RAKUTEN = ("rakuten", ("rakuten_pay_orders.csv",))


@pytest.mark.parametrize("folder, names", sorted(d for d in DROPS if d[0] != "rakuten"),
                         ids=lambda v: v if isinstance(v, str) else "+".join(v))
def test_the_same_person_on_rakuten_and_another_channel_is_one_customer(folder, names):
    # 楽天 masks e-mails, so P1 and P2 are found by phone and name (or name and
    # postal code): Shopify's 名 姓, MakeShop's and カラーミー's names without a space,
    # Yahoo's and EC-CUBE's phones without hyphens all meet 楽天's.
    shop = Shop(":memory:")
    import_dropped(shop, paths(*RAKUTEN))
    import_dropped(shop, paths(folder, names))
    found = figures_by_person(shop)
    for person in ("P1", "P2"):
        rakuten, other = expected("rakuten")[person], expected(folder)[person]
        assert found[person] == [(rakuten[0] + other[0], rakuten[1] + other[1],
                                  min(rakuten[2], other[2]), max(rakuten[3], other[3]))]
