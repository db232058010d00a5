"""The 印刷 tab."""
