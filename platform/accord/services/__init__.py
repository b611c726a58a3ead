"""Business operations on core records. Each takes ``session`` first and does not commit."""
