"""``python -m pbr_fairness.recipes``: prepare the app's first results (``make prepare``)."""

from __future__ import annotations

from pbr_fairness.recipes.prepared import main

raise SystemExit(main())
