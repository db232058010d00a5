"""The セグメント・フォロー tab on the sample shop, shown."""
import pytest

from gui.context import AppContext
from gui.followups.tab import FollowupTab
from tests.support.sample_shop import sample_shop, settle


@pytest.fixture
def tab(qtbot):
    tab = FollowupTab(AppContext(sample_shop()))
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    settle(qtbot)
    return tab
