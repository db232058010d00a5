"""Pieces every tab shares: the table model and view, charts, dialogs, page painting."""
