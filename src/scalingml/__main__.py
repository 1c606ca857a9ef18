"""``python -m scalingml`` is the ``scalingml`` command."""

import sys

from scalingml.cli import main

sys.exit(main())
