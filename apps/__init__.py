"""Desktop applications on top of rtast: ``apps.live`` is the Qt live display of ``rtast listen``."""
