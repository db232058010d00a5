"""Where the tests find the project and their data, wherever a test file sits."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
