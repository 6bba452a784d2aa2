"""train/model_card.py: what the default model's card says of its recipe."""

from __future__ import annotations

from rtast.train.model_card import optimizer_text
from rtast.train.recipes import recipe


def test_the_card_names_the_optimiser_the_recipe_used():
    assert optimizer_text(recipe("default").to_dict()) == "AdamW (weight decay 0.05 on the weight matrices)"
    assert (
        optimizer_text(recipe("default", optimizer="adam", weight_decay=5e-7).to_dict())
        == "Adam (L2 weight decay 5e-07)"
    )
    assert optimizer_text({"weight_decay": 5e-7}) == "Adam (L2 weight decay 5e-07)"  # an older card: no optimizer field
