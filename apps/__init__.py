"""Desktop applications on top of rtast (the Qt live display); not implemented yet, see README."""
