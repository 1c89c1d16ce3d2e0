"""The HTTP Inference API (`retouch api`): an edge beside the CLI. It builds Items from requests
and runs them through the same flows and tasks, recorded in Prefect and in the ledger."""
