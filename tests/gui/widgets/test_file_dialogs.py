"""Files are opened and saved where a shop owner expects."""
def test_file_dialogs_start_in_documents_then_in_the_folder_used_last(qapp, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from gui.widgets import file_dialogs

    asked = []
    answers = iter([str(tmp_path / "shop" / "labels.pdf"), ""])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda parent, caption, where, filters: (asked.append(where), (next(answers), ""))[1]))
    (tmp_path / "shop").mkdir()
    documents = file_dialogs.start_folder()
    assert file_dialogs.save_path(None, "保存", "labels.pdf", "PDF (*.pdf)") == \
        tmp_path / "shop" / "labels.pdf"
    assert asked[0] == str(documents / "labels.pdf")
    assert file_dialogs.save_path(None, "保存", "list.xlsx", "Excel (*.xlsx)") is None
    assert asked[1] == str(tmp_path / "shop" / "list.xlsx")   # remembered for next time
