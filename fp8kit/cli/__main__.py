"""``python -m fp8kit.cli``: the same as the ``fp8kit`` command."""

import sys

from fp8kit.cli import main

sys.exit(main())
