"""Japanese display names for the codes the engine stores (clusters, media, sources …)."""
from __future__ import annotations

from engine.analysis.rfm import CLUSTER_LABELS, CLUSTERS
from engine.customers.touches import MEDIA, MEDIUM_LABELS
from engine.marketing.followup_rules import TARGET_LABELS

TASK_STATUS_LABELS = {"open": "未対応", "done": "済"}
TOUCH_SOURCE_LABELS = {"followup": "フォロー", "labels": "DMラベル", "inserts": "同梱物リスト"}
ORDER_STATUS_LABELS = {"valid": "有効", "cancelled": "キャンセル"}

SOURCE_LABELS = {
    "rakuten": "楽天", "rakuten_legacy": "楽天（旧）", "amazon": "Amazon", "shopify": "Shopify",
    "base": "BASE", "colorme": "カラーミー", "yahoo": "Yahoo!", "generic": "自社",
}


def label(mapping: dict, code) -> str:
    """The Japanese name for ``code``; an unknown code is shown as it is."""
    if code is None:
        return ""
    return mapping.get(code, str(code))


def cluster_label(code) -> str:
    return label(CLUSTER_LABELS, code)


__all__ = ["CLUSTERS", "CLUSTER_LABELS", "TARGET_LABELS", "MEDIUM_LABELS", "MEDIA", "TASK_STATUS_LABELS",
           "ORDER_STATUS_LABELS", "TOUCH_SOURCE_LABELS", "SOURCE_LABELS", "label", "cluster_label"]
