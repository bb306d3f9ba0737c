"""Put the repo root (the package) and tests/ (``oracle``, ``corpus``) on sys.path."""

import os
import sys

_TESTS = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_TESTS)

for _path in (_TESTS, _ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)
