"""The ledger: what each item cost and who asked (costs), the edit cache (cache), model edits
deferred by the GPU budget (deferred), uploads taken in (uploads), on one database (db)."""
