"""``shop.printing``: DM labels, insert lists and target lists, laid out as pages in mm.

The engine chooses who gets a label and where everything goes; the GUI and the command
line paint the returned pages with Qt (gui/print_render.py).
"""
from __future__ import annotations

from functools import cached_property

from engine.label_sheet import LabelSheets


class PrintingService:
    def __init__(self, shop):
        self.shop = shop
        self.db = shop.db

    @cached_property
    def sheets(self) -> LabelSheets:
        return LabelSheets(self.shop.settings)
