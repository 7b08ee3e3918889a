"""State changes: `check_*` validates and raises ApiError, `do_*` changes state in a transaction."""
