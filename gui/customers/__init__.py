"""The 顧客 tab."""
