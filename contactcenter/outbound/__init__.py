"""Outbound delivery: each channel's send API, and the worker-side rules around it."""
