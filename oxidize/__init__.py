"""The `oxidize` command-line program."""
