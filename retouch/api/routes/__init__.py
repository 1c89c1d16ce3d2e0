"""The API's routers, one per resource: Hugging Face inference, jobs (edits, batches, signed
files), sessions, OpenAI image edits, instructions (templates, route preview) and the service's
own pages (health, the operator page)."""
