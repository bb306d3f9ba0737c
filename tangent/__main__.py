"""``python -m tangent``: the command line; see :mod:`tangent.cli`."""

import sys

from tangent.cli import main

if __name__ == "__main__":
    sys.exit(main())
