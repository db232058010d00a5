"""The 取込 tab."""
