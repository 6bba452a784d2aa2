"""Desktop applications on top of rtast: ``apps/live`` (installed as ``rtast.live``), the window of ``rtast listen``."""
