"""`python -m allocbench.cli`: the same as the `allocbench` command."""

import sys

from allocbench.cli import main

sys.exit(main())
