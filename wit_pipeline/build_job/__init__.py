"""``wit build``: every stage from one config file, each resumable, into one output directory."""
