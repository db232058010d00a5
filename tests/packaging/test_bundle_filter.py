"""Trimming the bundle: pattern drops and pruning libraries nothing links to any more."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bundle_filter
from bundle_filter import broken_links, drop, reachable, strip_debug

TOC = [
    ("PySide6/Qt/translations/qt_de.qm", "/src/qt_de.qm", "DATA"),
    ("PySide6/Qt/translations/qtbase_ja.qm", "/src/qtbase_ja.qm", "DATA"),
    ("PySide6\\Qt\\plugins\\tls\\qopensslbackend.dll", "/src/tls.dll", "BINARY"),
    ("resources/fonts/ipaexg.ttf", "/src/ipaexg.ttf", "DATA"),
]


def test_drop_by_pattern_unless_kept():
    kept, dropped = drop(TOC, ["pyside6/qt/translations/*", "pyside6/qt/plugins/tls/*"],
                         unless=["pyside6/qt/translations/*_ja.qm"])
    assert [e[0] for e in kept] == ["PySide6/Qt/translations/qtbase_ja.qm",
                                    "resources/fonts/ipaexg.ttf"]
    assert [e[2] for e in dropped] == ["DATA", "BINARY"]


def test_only_libraries_linked_from_python_or_qt_plugins_stay(monkeypatch):
    binaries = [
        ("PySide6/QtGui.abi3.so", "/s/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/s/libQt6Gui.so.6", "BINARY"),
        ("libQt6Core.so.6", "/s/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY"),
        ("libxcb.so.1", "/s/libxcb.so.1", "BINARY"),
        ("libpython3.11.so.1.0", "/s/libpython3.11.so.1.0", "BINARY"),
        ("libgtk-3.so.0", "/s/libgtk-3.so.0", "BINARY"),  # only the dropped GTK theme used it
        ("libcairo.so.2", "/s/libcairo.so.2", "BINARY"),
    ]
    links = {
        "/s/QtGui.abi3.so": [("libQt6Gui.so.6", "/elsewhere/libQt6Gui.so.6")],
        "/s/libQt6Gui.so.6": [("libQt6Core.so.6", None), ("libc.so.6", "/lib/libc.so.6")],
        "/s/libqxcb.so": [("libxcb.so.1", "/s/libxcb.so.1")],
        "/s/libgtk-3.so.0": [("libcairo.so.2", "/s/libcairo.so.2")],
    }
    monkeypatch.setattr(bundle_filter.bindepend, "get_imports",
                        lambda path: set(links.get(path, [])))
    kept, unlinked = reachable(binaries)
    assert [e[0] for e in unlinked] == ["libgtk-3.so.0", "libcairo.so.2"]
    assert len(kept) == 6


def test_a_library_opened_by_path_is_kept_with_what_it_links(monkeypatch):
    binaries = [("adbc_driver_sqlite/libadbc_driver_sqlite.so", "/s/libadbc_driver_sqlite.so",
                 "BINARY"),
                ("libstdc++.so.6", "/s/libstdc++.so.6", "BINARY"),
                ("libunused.so", "/s/libunused.so", "BINARY")]
    monkeypatch.setattr(bundle_filter.bindepend, "get_imports", lambda path: {
        ("libstdc++.so.6", "/s/libstdc++.so.6")} if "adbc" in path else set())
    kept, unlinked = reachable(binaries, ["adbc_driver_sqlite/*.so"])
    assert [e[0] for e in kept] == ["adbc_driver_sqlite/libadbc_driver_sqlite.so",
                                    "libstdc++.so.6"]
    assert [e[0] for e in unlinked] == ["libunused.so"]
    assert reachable(binaries)[0] == []


def test_python_extensions_handed_over_as_libraries_stay(monkeypatch):
    binaries = [("pyarrow/lib.cpython-311-x86_64-linux-gnu.so", "/s/lib.so", "BINARY"),
                ("pyarrow/libarrow.so.2600", "/s/libarrow.so.2600", "BINARY"),
                ("pyarrow/libarrow_flight.so.2600", "/s/libarrow_flight.so.2600", "BINARY")]
    monkeypatch.setattr(bundle_filter.bindepend, "get_imports", lambda path: {
        ("libarrow.so.2600", "/s/libarrow.so.2600")} if path == "/s/lib.so" else set())
    kept, unlinked = reachable(binaries)
    assert [e[0] for e in unlinked] == ["pyarrow/libarrow_flight.so.2600"]


def test_windows_names_match_case_insensitively(monkeypatch):
    binaries = [("PySide6\\QtCore.pyd", "C:/s/QtCore.pyd", "EXTENSION"),
                ("PySide6\\Qt6Core.dll", "C:/s/Qt6Core.dll", "BINARY")]
    monkeypatch.setattr(bundle_filter.bindepend, "get_imports",
                        lambda path: {("QT6CORE.DLL", None)} if path.endswith(".pyd") else set())
    kept, unlinked = reachable(binaries)
    assert unlinked == [] and len(kept) == 2


@pytest.mark.skipif(shutil.which("strip") is None or sys.platform in ("win32", "darwin"),
                    reason="needs GNU strip")
def test_strip_debug_points_matching_entries_at_stripped_copies(tmp_path):
    import _json
    module = Path(_json.__file__)
    binaries = [("python3.11/lib-dynload/" + module.name, str(module), "EXTENSION"),
                ("other.so", str(module), "BINARY")]
    stripped = strip_debug(binaries, ["python3*/lib-dynload/*"], str(tmp_path))
    copy = Path(stripped[0][1])
    assert copy.parent.parent.parent == tmp_path / "stripped"
    assert copy.stat().st_size <= module.stat().st_size
    assert stripped[1] == binaries[1]
    assert subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                           "import _json", str(copy.parent)], check=True).returncode == 0


def test_dropping_a_library_that_is_linked_to_is_reported(monkeypatch):
    kept = [("PySide6/Qt/plugins/platforms/libqxcb.so", "/s/libqxcb.so", "BINARY")]
    dropped = [("PySide6/Qt/lib/libQt6OpenGL.so.6", "/s/libQt6OpenGL.so.6", "BINARY"),
               ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "/s/tls.so", "BINARY")]
    monkeypatch.setattr(bundle_filter.bindepend, "get_imports", lambda path: {
        ("libQt6OpenGL.so.6", "/venv/PySide6/Qt/lib/libQt6OpenGL.so.6"), ("libc.so.6", None)})
    assert broken_links(kept, dropped) == [("PySide6/Qt/plugins/platforms/libqxcb.so",
                                            "libqt6opengl.so.6")]
    assert broken_links(kept, dropped[1:]) == []


def test_drop_patterns_match_linux_and_windows_qt_layouts():
    spec = (Path(__file__).resolve().parents[2] / "packaging" / "otokui.spec").read_text("utf-8")
    namespace = {}
    start, end = spec.index("DROP = ["), spec.index("a = Analysis(")
    exec(spec[start:end], namespace)
    toc = [("PySide6/Qt/plugins/tls/libqopensslbackend.so", "/a", "BINARY"),
           ("PySide6\\plugins\\tls\\qopensslbackend.dll", "/b", "BINARY"),
           ("PySide6/Qt/translations/qtbase_de.qm", "/c", "DATA"),
           ("PySide6\\translations\\qtbase_de.qm", "/d", "DATA"),
           ("PySide6\\translations\\qtbase_ja.qm", "/e", "DATA"),
           ("PySide6\\opengl32sw.dll", "/f", "BINARY"),
           ("PySide6\\plugins\\platforms\\qwindows.dll", "/g", "BINARY"),
           ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/h", "BINARY")]
    kept, dropped = drop(toc, namespace["DROP"], namespace["KEEP"])
    assert [e[1] for e in kept] == ["/e", "/g", "/h"]
