"""One module per platform behind the `Channel` protocol (see base.py); `registry` maps names."""
