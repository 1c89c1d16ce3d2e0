"""Is an edit safe to publish? Measures of the result against what was asked and against the
artifacts and drift of image models, combined into one calibrated risk (gate.py)."""
