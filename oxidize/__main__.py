"""`python -m oxidize` runs the CLI."""

import sys

from oxidize.cli import main

sys.exit(main())
