"""The import stores the same database whether pandas keeps its text as Python strings
(what the import asks for) or in Arrow (pandas' default once pyarrow is installed)."""
import pandas as pd
import pytest

import engine.imports.order_frame
import engine.imports.service
from benchmarks.generate import generate
from engine import Shop
from tests.engine.imports.test_chunks import index_definitions, without_stamps
from tests.support.snapshot import SAMPLES, sample_files, snapshot


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "rakuten_generated.csv"
    generate(path, 3000, seed=11)
    return path


def imported(path, files, rows: int = 500) -> Shop:
    shop = Shop(path)
    shop.imports.chunk_rows = rows
    shop.imports.parallel_min_lines = 10 ** 9
    shop.imports.bulk_min_lines = 1000
    for file in files:
        shop.imports.import_file(file)
    return shop


@pytest.mark.parametrize("folder", [SAMPLES, SAMPLES / "messy"], ids=["samples", "messy"])
def test_arrow_backed_text_imports_the_same_database(tmp_path, monkeypatch, generated, folder):
    files = sample_files(folder) + [generated]
    python = imported(tmp_path / "python.db", files)
    monkeypatch.setattr(engine.imports.service, "python_text",
                        lambda: pd.option_context("mode.string_storage", "pyarrow"))
    arrow = imported(tmp_path / "arrow.db", files)
    assert without_stamps(snapshot(python)) == without_stamps(snapshot(arrow))
    assert index_definitions(python) == index_definitions(arrow)
    assert python.db.scalar("SELECT count(*) FROM orders") > 1500
    python.close()
    arrow.close()


def test_the_import_works_on_python_strings(tmp_path, monkeypatch, generated):
    storages = set()
    build = engine.imports.order_frame.build_batch

    def spy(*args, **kwargs):
        batch = build(*args, **kwargs)
        storages.update(dtype.storage for dtype in batch.orders.dtypes
                        if isinstance(dtype, pd.StringDtype))
        return batch

    monkeypatch.setattr(engine.imports.order_frame, "build_batch", spy)
    imported(tmp_path / "shop.db", [generated]).close()
    assert storages == {"python"}
