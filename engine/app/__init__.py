"""The program around the shop: the log file and the demo shop."""
