"""Inbound media: fetched from the platforms into our store, served to agents with auth."""
