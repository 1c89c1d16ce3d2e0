"""The bottom layer: settings, limits, thresholds and the typed contracts passed between steps.

Nothing here imports another Retouch package; everything else may import from here.
"""
