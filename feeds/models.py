"""Models of the feeds package (registered on accord's metadata)."""
