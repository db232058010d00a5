"""The アンケート tab."""
