"""Record: what an edit leaves behind (the published file, its AI label and provenance, its
result, the ledger of costs, cache and reviews)."""
