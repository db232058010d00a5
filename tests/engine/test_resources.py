"""Bundled data is read one way, and the font stays a file for the APIs that need one."""
from pathlib import Path

from engine.resources import FONT, font_path, lasting_path, listing, read_bytes, read_json


def test_presets_templates_and_sheets_are_found_by_folder():
    names = [entry.name for entry in listing("formats", (".json",))]
    assert names == sorted(names) and "rakuten.json" in names
    assert read_json("labels", "a4-12.json")["id"] == "a4-12"


def test_the_font_is_one_lasting_file():
    path = font_path()
    assert path.is_file() and path.name == FONT[-1]
    assert lasting_path(*FONT) is path  # registered once, never copied again
    assert path.read_bytes()[:4] == read_bytes(*FONT)[:4] == b"\x00\x01\x00\x00"


def test_nested_resources_are_reached_one_folder_at_a_time(monkeypatch):
    """The packaged app's resource reader takes one child per joinpath (a TypeError
    otherwise, which stopped the packaged window at start-up)."""
    import engine.resources as resources

    class OneChildOnly:
        def __init__(self, path):
            self.path = path

        def joinpath(self, child):
            return OneChildOnly(self.path / child)

        __truediv__ = joinpath

        def read_bytes(self):
            return self.path.read_bytes()

    real = resources.files("resources")
    monkeypatch.setattr(resources, "files", lambda package: OneChildOnly(Path(str(real))))
    assert resources.read_bytes("icon", "otokui.png")[:8] == b"\x89PNG\r\n\x1a\n"
