"""Japanese names of the codes that only the GUI names (task and order status, where
a touch was recorded). Codes the engine names keep their labels there: clusters in
engine.analysis.rfm, media in engine.customers.touches, follow-up targets in
engine.marketing.followup_rules, an order's source in the import presets."""
from __future__ import annotations

TASK_STATUS_LABELS = {"open": "未対応", "done": "済"}
TOUCH_SOURCE_LABELS = {"followup": "フォロー", "labels": "DMラベル", "inserts": "同梱物リスト"}
ORDER_STATUS_LABELS = {"valid": "有効", "cancelled": "キャンセル"}
