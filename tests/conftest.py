"""Shared by every test; imports no Qt, so the engine tests run without it.

Tests that do use Qt (the GUI, the printing commands) draw offscreen.
"""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
