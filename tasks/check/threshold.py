"""How the gate decides for one item: the publish threshold (what a review costs against what a
wrong published image costs, for the marketplace preset it is made for when that preset names
its own cost) and the expected rate of wrong model edits."""

from __future__ import annotations

from config.settings import Settings
from config.thresholds import Publishing
from routing.presets import PresetError, preset


def publishing_for(preset_name: str | None, settings: Settings) -> Publishing:
    wrong = None
    if preset_name:
        try:
            wrong = preset(preset_name, settings.presets_file).wrong_publish_usd
        except PresetError:
            wrong = None  # the item's preset error is reported where the preset is applied
    return settings.publishing(wrong)
