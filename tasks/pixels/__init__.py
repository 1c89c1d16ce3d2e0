"""Pixels: pure functions over arrays and encoded bytes (decode and encode, dtypes, formats,
metadata, the studio background), used by every step of the request's path."""
