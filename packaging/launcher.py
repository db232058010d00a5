"""Entry point of the packaged program: ``otokui`` opens the window, ``otokui COMMAND …``
runs the command line, exactly like ``python main.py``.

The program is built windowed (no console window flashes up on a double-click), so
Windows starts it without standard output. Where a command's output goes then:

- redirected or piped (``otokui.exe customers > list.csv``, PowerShell ``| Out-Host``,
  a script capturing output): Windows hands the pipe or file over and Python uses it
  as usual; this module does nothing;
- typed into cmd or PowerShell without redirection: we attach to that console and
  print there (cmd shows its prompt before the output, as for any windowed program;
  ``start /wait otokui.exe …`` or a batch file waits for it);
- started with arguments but without any console (a shortcut, Task Scheduler): the
  output goes to ``command-output.txt`` in the log folder.
"""
from __future__ import annotations

import sys
from typing import TextIO


def ensure_output(argv: list[str]) -> None:
    """Give a command-line run (``argv`` non-empty) a stdout and stderr to write to."""
    if not argv or (sys.stdout is not None and sys.stderr is not None):
        return
    stream = _parent_console() if sys.platform == "win32" else None
    if stream is None:
        stream = _output_file()
    if sys.stdout is None:
        sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream


def _parent_console() -> TextIO | None:
    import ctypes
    attach_parent_process = -1
    if not ctypes.windll.kernel32.AttachConsole(attach_parent_process):
        return None
    # Python opens "CONOUT$" as a console stream that writes Unicode text as is.
    return open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)


def _output_file() -> TextIO:
    from engine.store.paths import log_dir
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / "command-output.txt", "w", encoding="utf-8-sig", buffering=1)


def launch(argv: list[str]) -> int:
    """Run ``main.main(argv)``; once the GUI's crash dialog is installed, it reports errors."""
    ensure_output(argv)
    from main import main
    try:
        return main(argv)
    except Exception:
        # Before gui.crash installed its hook, PyInstaller's own error dialog is all there is.
        if sys.excepthook is sys.__excepthook__:
            raise
        sys.excepthook(*sys.exc_info())
        return 1


if __name__ == "__main__":
    import multiprocessing
    # A big import parses in a second process: in the frozen program that process
    # starts this executable again, and freeze_support turns it into the worker.
    multiprocessing.freeze_support()
    sys.exit(launch(sys.argv[1:]))
