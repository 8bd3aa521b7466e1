"""``python -m pbr_fairness`` runs the command line."""

import sys

from pbr_fairness.cli import main

sys.exit(main())
