"""Intake: what a request brings in (a catalog manifest, an uploaded object) read into items."""
