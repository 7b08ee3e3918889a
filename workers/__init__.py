"""arq worker: settings and thin job functions that call contactcenter.actions."""
