from rtast.cli import entry

entry()
