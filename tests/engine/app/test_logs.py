"""The log file: where it goes, rotation settings, and no personal data in it."""
import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from engine import __version__
from engine.app.logs import LOG_FILE, describe_exception, setup_logging


@pytest.fixture
def root_logger():
    """Restore the root logger's handlers and level after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def _file_handlers(root):
    return [h for h in root.handlers if isinstance(h, RotatingFileHandler)]


def test_log_goes_to_the_user_log_folder(tmp_path, monkeypatch, root_logger):
    monkeypatch.setenv("OTOKUI_HOME", str(tmp_path))
    path = setup_logging()
    assert path == tmp_path / "logs" / LOG_FILE
    logging.getLogger("otokui.test").info("imported %d files", 3)
    text = path.read_text("utf-8")
    assert f"Otokui {__version__} starting" in text
    assert "INFO otokui.test: imported 3 files" in text


def test_setup_twice_adds_one_rotating_handler(tmp_path, root_logger):
    first = setup_logging(tmp_path)
    second = setup_logging(tmp_path)
    assert first == second
    [handler] = _file_handlers(root_logger)
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)
    assert first.read_text("utf-8").count("starting") == 1


def test_log_rotates_at_its_size_limit(tmp_path, monkeypatch, root_logger):
    monkeypatch.setattr("engine.app.logs.MAX_BYTES", 2_000)
    path = setup_logging(tmp_path)
    for n in range(100):
        logging.getLogger("otokui.test").info("line %03d %s", n, "x" * 40)
    assert path.stat().st_size <= 2_000
    assert (tmp_path / f"{LOG_FILE}.1").is_file()


CUSTOMER = "佐藤 太郎 090-1234-5678"  # data, as exception messages might quote it


def _raise_chained():
    try:
        {"山田 花子": 1}[CUSTOMER]
    except KeyError as exc:
        raise ValueError(f"bad row for {CUSTOMER}") from exc


def test_described_exception_has_stack_and_types_but_no_message():
    with pytest.raises(ValueError) as info:
        _raise_chained()
    text = describe_exception(info.value)
    assert "佐藤" not in text and "090-1234-5678" not in text
    assert text.index("builtins.KeyError") < text.index("which led to:") \
        < text.index("builtins.ValueError")
    assert "_raise_chained" in text and "test_logs.py" in text


def test_described_exception_hides_the_home_folder(monkeypatch, tmp_path):
    home = Path(__file__).resolve().parents[2]
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    with pytest.raises(ValueError) as info:
        _raise_chained()
    text = describe_exception(info.value)
    assert str(home) not in text
    assert "~" in text and "test_logs.py" in text
