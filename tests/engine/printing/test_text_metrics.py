"""Text widths from the bundled font's own metrics, and line breaking."""
import pytest

from engine.printing import text_metrics
from engine.printing.text_metrics import text_width_mm, wrap

PT = 25.4 / 72


def test_widths_come_from_the_font():
    # IPAex Gothic: kanji and kana are one em (2048 units); "1" is 1290, "-" 733 units.
    assert text_width_mm("様", 10) == pytest.approx(10 * PT)
    assert text_width_mm("1-1", 10) == pytest.approx((1290 * 2 + 733) / 2048 * 10 * PT)
    # A character the font lacks counts as a full em.
    assert text_width_mm("\U0001F600", 10) == pytest.approx(10 * PT)
    assert text_metrics.line_height_mm(10) == pytest.approx((1802 + 246) / 2048 * 10 * PT)


def test_wrap_fills_lines_and_keeps_every_character():
    text = "東京都千代田区霞が関一丁目三番二号郵便プラザ五〇三号室"
    lines = wrap(text, 10 * 10 * PT + 1e-6, 10)   # room for exactly ten full-width characters
    assert "".join(lines) == text
    assert all(text_width_mm(line, 10) <= 10 * 10 * PT + 1e-9 for line in lines)
    assert lines[0] == "東京都千代田区霞が関"


def test_wrap_keeps_numbers_whole_and_obeys_line_start_rules():
    width = 8 * 10 * PT + 1e-6                    # eight full-width characters
    assert wrap("大通西十丁目二十四番", width, 10) == ["大通西十丁目", "二十四番"]
    assert wrap("霞が関丁目街123号", width, 10) == ["霞が関丁目街", "123号"]
    assert wrap("アイウエオカキー館", 7 * 10 * PT + 1e-6, 10) == ["アイウエオカ", "キー館"]
    assert wrap("郵便プラザ 503号室 北棟", 10 * 10 * PT, 10) == ["郵便プラザ 503号室", "北棟"]


def test_a_character_wider_than_the_line_still_gets_a_line():
    assert wrap("様様", 1.0, 10) == ["様", "様"]
    assert wrap("   ", 10, 10) == []
