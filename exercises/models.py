"""Models of the exercises package (registered on accord's metadata)."""
