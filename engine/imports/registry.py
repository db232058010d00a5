"""The shop's formats: the built-in presets plus its saved mappings (in settings),
which can be shared as files (a consultant sets up a shop's template once)."""
from __future__ import annotations

import json
from pathlib import Path

from engine.errors import InvalidInputError, NotFoundError, StorageError
from engine.imports import detection
from engine.imports.formats import FormatPreset, builtin_presets, load_mapping_file


class FormatRegistry:
    """Built-in presets plus the user's saved mappings (stored in settings)."""

    SETTING = "user_formats"

    def __init__(self, settings):
        self.settings = settings
        self._builtin = builtin_presets()

    def presets(self) -> list[FormatPreset]:
        """Every preset, built-in first; reports recognised only to be refused included."""
        return self._builtin + [FormatPreset.from_dict(d, origin="保存済みの形式", user=True)
                                for d in self._saved()]

    def importable(self) -> list[FormatPreset]:
        """The presets a file can be imported with (no refused reports)."""
        return [p for p in self.presets() if not p.refuse]

    def download_guides(self) -> list[tuple[str, str]]:
        """(format label, where its admin screen offers the file) for each built-in
        format, in plain Japanese for the 取込 tab."""
        return [(p.label, p.download) for p in self._builtin if p.download and not p.refuse]

    def source_labels(self) -> dict[str, str]:
        """Every preset's short label by name: what an order's ``source`` is shown as."""
        return {preset.name: preset.short_label for preset in self.importable()}

    def by_name(self, name: str) -> FormatPreset:
        for preset in self.importable():
            if preset.name == name:
                return preset
        names = ", ".join(p.name for p in self.importable())
        raise NotFoundError(f"形式「{name}」はありません。使える形式: {names}")

    def detect(self, file, headers: list[str]) -> FormatPreset:
        """The preset this header row is, bound to the file (see detection.detect)."""
        return detection.detect(self.presets(), file, headers)

    def save_user_preset(self, label: str, headers: list[str],
                         field_map: dict[str, list[str]]) -> FormatPreset:
        """Save a mapping made in the GUI; files with these headers are recognised next time."""
        used = {c for cols in field_map.values() for c in cols}
        return self._save({"label": label, "match": [h for h in headers if h in used],
                           "fields": field_map})

    def _save(self, data: dict) -> FormatPreset:
        """Store a user preset under its label; one saved again under its label keeps
        its name (orders store it as their source), a new one gets the next user_N."""
        existing = self._saved()
        same = [d["name"] for d in existing if d["label"] == data["label"]]
        numbers = [int(d["name"][5:]) for d in existing if d["name"][5:].isdigit()]
        name = same[0] if same else f"user_{max(numbers, default=0) + 1}"
        preset = FormatPreset.from_dict({**data, "name": name}, origin=data["label"], user=True)
        if preset.refuse or preset.files:
            raise InvalidInputError(f"{data['label']}: 保存できるのは1つのファイルを取り込む対応付けだけです。")
        kept = [d for d in existing if d["label"] != data["label"]]
        self.settings.set(self.SETTING, kept + [preset.to_dict()])
        return preset

    def forget_user_preset(self, name: str) -> None:
        """Remove a saved mapping (the GUI does so when the first import with it fails)."""
        saved = [d for d in self._saved() if d["name"] != name]
        if saved:
            self.settings.set(self.SETTING, saved)
        else:
            self.settings.delete(self.SETTING)

    def export_user_preset(self, name: str, path: Path | str) -> Path:
        """Write a saved mapping to a JSON file another PC can import."""
        found = [d for d in self._saved() if d["name"] == name]
        if not found:
            raise NotFoundError(f"保存した対応付け「{name}」はありません。")
        path = Path(path)
        data = {k: v for k, v in found[0].items() if k != "name"}
        try:
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise StorageError(f"{path.name}: 書き込めません（{exc.strerror}）。") from None
        return path

    def import_user_preset(self, path: Path | str) -> FormatPreset:
        """Save the mapping in a file (written by ``export_user_preset`` or by hand);
        one with the label of a saved mapping replaces it."""
        preset = load_mapping_file(Path(path))
        data = preset.to_dict()
        return self._save({k: v for k, v in data.items() if k != "name"})

    def _saved(self) -> list[dict]:
        return self.settings.get(self.SETTING, []) or []
