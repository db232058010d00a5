"""--staff NAME: who works at this desktop, recorded on what the command does."""
import main
from engine import Shop
from tests.support.snapshot import SAMPLES


def test_an_import_names_the_staff_given(capsysbinary, tmp_path):
    db = tmp_path / "shop.db"
    sample = SAMPLES / "rakuten" / "rakuten_202507.csv"
    assert main.main(["--staff", "山田", "import", str(sample), "--db", str(db)]) == 0
    capsysbinary.readouterr()
    with Shop(db) as shop:
        assert [(h["file_name"], h["staff"]) for h in shop.imports.history()] == [
            ("rakuten_202507.csv", "山田")]


def test_without_staff_the_computer_names_who(capsysbinary, tmp_path, monkeypatch):
    monkeypatch.setattr("engine.store.server_lock.staff_name", lambda: "shop（pc1）")
    db = tmp_path / "shop.db"
    sample = SAMPLES / "rakuten" / "rakuten_202507.csv"
    assert main.main(["import", str(sample), "--db", str(db)]) == 0
    capsysbinary.readouterr()
    with Shop(db) as shop:
        assert shop.imports.history()[0]["staff"] == "shop（pc1）"
