"""The dashboards: sign-in, the agent's queue and ticket views, the supervisor board and admin
pages. A small ES-module app (web/static/) over the REST API, live through one SSE stream;
no build step, nothing to install beyond the Python package."""
