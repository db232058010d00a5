import sys
from pathlib import Path

# packaging/ holds build scripts, not a package (and "packaging" is a PyPI name).
PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))
