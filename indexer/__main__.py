"""`python -m indexer` runs the splib command line."""

from .cli import main

main(prog_name="splib")
