"""Training AST models for rtast (``python -m train``); not implemented yet, see README."""
