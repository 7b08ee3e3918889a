"""Routing decisions as pure functions: snapshots in, offers out, no I/O (see decide.py)."""
