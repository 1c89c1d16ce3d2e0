"""Deployment processes that run beside the flows (the upload-event consumer, `retouch serve`)."""
