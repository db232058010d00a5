"""The printing commands create Qt's application for fonts and painting. In the
one test process that must be the QApplication the GUI tests use too (pytest-qt's
``qapp``), not the command line's lighter QGuiApplication, whichever tests run first."""
import pytest


@pytest.fixture(autouse=True)
def _one_application(request):
    if "printing" in request.node.module.__name__:
        request.getfixturevalue("qapp")
