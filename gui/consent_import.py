"""ファイル → 同意リストを取り込む…: a subscriber list (e-mail address and consent per
row) recorded in the consent ledger; a bad row names the file, row and column."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from gui.context import AppContext
from gui.widgets.confirm import tell
from gui.widgets.file_dialogs import open_paths

FILTERS = "同意リスト (*.csv *.txt *.xlsx);;すべて (*)"


def summary(counts: dict) -> str:
    text = (f"{counts['rows']:,}行を読み、{counts['customers']:,}人のお客様のメール同意を"
            "記録しました。")
    if counts.get("unmatched"):
        text += f"\n顧客に見つからないメールアドレスが {counts['unmatched']:,}件ありました（記録していません）。"
    return text


def import_consents(parent: QWidget, ctx: AppContext, path: Path | None = None,
                    done=None) -> None:
    """Ask for the list (unless ``path``), import it on the worker, tell what it did."""
    if path is None:
        chosen = open_paths(parent, "同意リストを取り込む（メールアドレスと同意の列）", FILTERS)
        if not chosen:
            return
        path = chosen[0]

    def imported(change) -> None:
        (done or (lambda text: tell(parent, text)))(summary(change.counts))
    ctx.run(parent, lambda shop, p, c: shop.consent.import_list(path), imported,
            label="同意リストを取り込んでいます…", changes_data=True)
