"""Training AST models for rtast: ``python -m train`` (fit, evaluate, stats, recipe)."""
