"""Build the Windows/Linux app from otokui.spec, then smoke-test the built program.

    python packaging/build.py                  build into dist/otokui and test it
    python packaging/build.py --skip-build     test an existing dist/otokui again
    python packaging/build.py --debug          build the console variant (OTOKUI_DEBUG_BUILD=1)

The smoke test runs the packaged program, never the source tree, each step with a
temporary user-data folder so nothing touches the developer's own data:
``--version``; ``import`` of every sample export into a temporary database, then
``customers``, whose figures must equal tests/data/samples/truth.csv; ``import`` of a
generated 210k-line export (parsed in a second process, which must not fall back); ``import``
without ``--db`` into the user's data folder (%LOCALAPPDATA%\\Otokui on Windows); and
the window on that database, offscreen, quit automatically once shown
(OTOKUI_SMOKE_QUIT_MS) and timed, which must leave a log file in the same folder.
It ends with the line ``smoke test passed`` and the bundle size and start-up times,
or exits 1 naming the step that failed.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "otokui.spec"
SAMPLES = ROOT / "tests" / "data" / "samples"
MARKER = "otokui: first window shown"
# Lines of the generated export that must take the two-process import path.
PARALLEL_LINES = 210_000
FIGURES = ("purchase_count", "total_amount", "first_purchase", "last_purchase")
# A window that has not quit by itself by then is waiting for a click.
WINDOW_TIMEOUT_S = 120

sys.path.insert(0, str(ROOT / "packaging"))
from version_info import project_version  # noqa: E402


class SmokeTestFailed(Exception):
    pass


def build(dist: Path, work: Path, debug: bool) -> float:
    """Run PyInstaller on the spec; returns the seconds it took."""
    env = dict(os.environ, OTOKUI_DEBUG_BUILD="1" if debug else "0")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
                   cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def executable(dist: Path) -> Path:
    return dist / "otokui" / ("otokui.exe" if sys.platform == "win32" else "otokui")


def bundle_size(folder: Path) -> tuple[float, int]:
    """(megabytes, number of files) of the one-folder app."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def _env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for one step: user data in ``home``, no screen needed."""
    env = {k: v for k, v in os.environ.items() if k not in ("OTOKUI_HOME", "OTOKUI_SMOKE_QUIT_MS")}
    env.update(OTOKUI_HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    return env


def _platform_env(base: Path, **extra: str) -> tuple[dict[str, str], Path]:
    """Like :func:`_env` but found the way a user's is: %LOCALAPPDATA%\\Otokui on Windows,
    $XDG_DATA_HOME/otokui on Linux. Returns the environment and the expected folder."""
    env = _env(base, **extra)
    del env["OTOKUI_HOME"]
    env.update(LOCALAPPDATA=str(base), XDG_DATA_HOME=str(base))
    return env, base / ("Otokui" if sys.platform == "win32" else "otokui")


def run(exe: Path, args: list[str], home: Path, step: str) -> str:
    """Run the program and return its stdout; any failure raises naming ``step``."""
    result = subprocess.run([str(exe), *args], env=_env(home), capture_output=True,
                            encoding="utf-8", errors="replace", timeout=300)
    if result.returncode != 0:
        raise SmokeTestFailed(f"{step}: exit code {result.returncode}\n"
                              f"{result.stdout}\n{result.stderr}")
    return result.stdout


def check_version(exe: Path, home: Path) -> None:
    out = run(exe, ["--version"], home, "--version").strip()
    expected = f"Otokui {project_version(ROOT)}"
    if out != expected:
        raise SmokeTestFailed(f"--version printed {out!r}, expected {expected!r}")


def check_import(exe: Path, home: Path) -> int:
    """Import every sample export; the customers' figures must equal truth.csv."""
    meta = json.loads((SAMPLES / "meta.json").read_text("utf-8"))
    db, out = home / "smoke.db", home / "customers.csv"
    files = [str(SAMPLES / name) for name in meta["files"]]
    printed = run(exe, ["import", *files, "--db", str(db)], home, "import")
    if printed.count("\n") < len(files):
        raise SmokeTestFailed(f"import printed fewer lines than files:\n{printed}")
    run(exe, ["customers", "--as-of", meta["as_of"], "--out", str(out), "--db", str(db)],
        home, "customers")
    got = _figures(out, "utf-8-sig")
    want = _figures(SAMPLES / "truth.csv", "utf-8")
    if got != want or sum(got.values()) != meta["customers"]:
        raise SmokeTestFailed(f"customers differ from truth.csv: {sum(got.values())} rows, "
                              f"{len(got - want)} unexpected, {len(want - got)} missing")
    return sum(got.values())


def check_big_import(exe: Path, home: Path) -> int:
    """A generated export big enough to be parsed in a second process: in the frozen
    program that process is this executable started again (freeze_support)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate

    home.mkdir(parents=True, exist_ok=True)
    export = home / "big_rakuten.csv"
    shape = generate(export, PARALLEL_LINES)
    result = subprocess.run([str(exe), "import", str(export), "--db", str(home / "big.db")],
                            env=_env(home), capture_output=True, encoding="utf-8",
                            errors="replace", timeout=600)
    expected = f"新規注文 {shape['orders']}件"
    if result.returncode != 0 or expected not in result.stdout:
        raise SmokeTestFailed(f"big import: exit code {result.returncode}, expected "
                              f"{expected!r}\n{result.stdout}\n{result.stderr}")
    if "1つのプロセスで取り込み直しました" in result.stderr:
        raise SmokeTestFailed(f"big import fell back to one process:\n{result.stderr}")
    return shape["orders"]


def _figures(path: Path, encoding: str) -> Counter:
    with path.open(encoding=encoding, newline="") as f:
        return Counter(tuple(row[k] for k in FIGURES) for row in csv.DictReader(f))


def check_user_data_folder(exe: Path, home: Path) -> Path:
    """``import`` without ``--db`` makes the user's database in the platform's data folder
    (so the window then opens it instead of the first-start dialog); returns the folder."""
    env, data_dir = _platform_env(home)
    sample = SAMPLES / json.loads((SAMPLES / "meta.json").read_text("utf-8"))["files"][0]
    result = subprocess.run([str(exe), "import", str(sample)], env=env, capture_output=True,
                            encoding="utf-8", errors="replace", timeout=300)
    if result.returncode != 0 or not (data_dir / "otokui.db").is_file():
        raise SmokeTestFailed(f"import without --db: exit code {result.returncode}, "
                              f"no otokui.db in {data_dir}\n{result.stderr}")
    return data_dir


def time_first_window(exe: Path, home: Path) -> float:
    """Seconds from starting the program to its first window (offscreen), then it quits."""
    env, data_dir = _platform_env(home, OTOKUI_SMOKE_QUIT_MS="300")
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8", errors="replace")
    # A dialog waiting for a click (a crash report, a question) never quits by itself.
    watchdog = threading.Timer(WINDOW_TIMEOUT_S, proc.kill)
    watchdog.start()
    shown = None
    try:
        for line in proc.stdout:
            if line.startswith(MARKER) and shown is None:
                shown = time.perf_counter() - started
        stderr = proc.stderr.read()
        code = proc.wait()
    finally:
        watchdog.cancel()
    if shown is None or code != 0:
        raise SmokeTestFailed(f"window: exit code {code}, first window "
                              f"{'shown' if shown else 'never shown'}\n{stderr}")
    log = data_dir / "logs" / "otokui.log"
    records = [line for line in log.read_text("utf-8").splitlines() if "First window shown" in line]
    if not records:
        raise SmokeTestFailed(f"window: no start-up record in {log}")
    if not records[-1].endswith("Japanese font bundled, icon set"):
        raise SmokeTestFailed(f"window: resources not found at run time: {records[-1]}")
    return shown


def smoke_test(exe: Path, runs: int) -> dict:
    if not exe.is_file():
        raise SmokeTestFailed(f"{exe} does not exist; build first")
    with tempfile.TemporaryDirectory(prefix="otokui-smoke-") as tmp:
        tmp = Path(tmp)
        check_version(exe, tmp / "version")
        customers = check_import(exe, tmp / "import")
        big_orders = check_big_import(exe, tmp / "big")
        check_user_data_folder(exe, tmp / "user")
        times = [time_first_window(exe, tmp / "user") for _ in range(runs)]
    return {"customers": customers, "big_orders": big_orders, "first_window_s": times}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--debug", action="store_true", help="console variant")
    parser.add_argument("--runs", type=int, default=3, help="timed window starts")
    args = parser.parse_args(argv)

    try:
        build_s = None if args.skip_build else build(args.dist, args.work, args.debug)
    except subprocess.CalledProcessError:
        print("build FAILED: see PyInstaller's messages above", file=sys.stderr)
        return 1
    exe = executable(args.dist)
    try:
        result = smoke_test(exe, args.runs)
    except (SmokeTestFailed, subprocess.TimeoutExpired) as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    size_mb, files = bundle_size(exe.parent)
    times = result["first_window_s"]
    print("smoke test passed")
    print(f"bundle: {size_mb:.0f} MB in {files} files ({exe.parent})")
    if build_s is not None:
        print(f"build time: {build_s:.0f} s")
    print(f"imported samples: {result['customers']} customers match truth.csv")
    print(f"parsed in a second process: {result['big_orders']} orders")
    print("time to first window: " + ", ".join(f"{t:.2f}" for t in times)
          + f" s (median {statistics.median(times):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
