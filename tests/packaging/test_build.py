"""The build from otokui.spec succeeds here and the built program passes its smoke test.

Takes minutes, so it runs only when asked for: ``pytest -m slow tests/packaging``.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _only_when_selected(request):
    if "slow" not in request.config.getoption("markexpr"):
        pytest.skip("slow: run with -m slow")


def test_build_and_smoke_test(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"),
         "--dist", str(tmp_path / "dist"), "--work", str(tmp_path / "build"), "--runs", "2"],
        capture_output=True, encoding="utf-8", errors="replace", timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "smoke test passed" in out
    assert "imported samples: 148 customers match truth.csv" in out
    assert re.search(r"parsed in a second process: \d{6} orders", out)
    size_mb = float(re.search(r"bundle: (\d+) MB", out).group(1))
    # pyarrow (arrays, compute: ~97 MB of libraries linked together) and ADBC (~13 MB)
    # took a ~310 MB bundle to ~420 MB.
    assert 50 < size_mb < 450
    times = re.search(r"time to first window: ([\d., ]+) s", out).group(1).split(", ")
    assert len(times) == 2 and all(0 < float(t) < 60 for t in times)
    exe = tmp_path / "dist" / "otokui" / ("otokui.exe" if sys.platform == "win32" else "otokui")
    assert exe.is_file()
