"""tagguard: predicts what Harbor's tag immutability will refuse, before a pipeline tries."""

# Kept as a literal (not read from package metadata) so `tagguard --version` imports nothing.
__version__ = "0.1.0"
