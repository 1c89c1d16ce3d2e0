"""Infrastructure beside the path: storage (local or S3), webhooks, signed links, one-line errors."""
