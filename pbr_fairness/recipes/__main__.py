"""``python -m pbr_fairness.recipes``: prepare the app's first results (``make prepare``).

Simulates the default scenario on the prepared default caseload and stores the result in
``data/prepared/`` (nothing to do when the default caseload is not prepared).
"""

from __future__ import annotations

import logging

from pbr_fairness.distance import DistanceModel
from pbr_fairness.recipes.data import AppData
from pbr_fairness.recipes.distance import predicted_chances
from pbr_fairness.recipes.prepared import prepare_results

log = logging.getLogger("pbr_fairness.recipes")
logging.basicConfig(level=logging.INFO, format="prepare: %(message)s")
data = AppData.from_environment({})
if not data.uses_file:
    log.info("no default caseload file (%s): no results prepared", data.caseload_file)
else:
    model = DistanceModel.load(data.model_folder) if data.model_available() else None
    written = prepare_results(
        data, predict=None if model is None else (lambda c: predicted_chances(model, c))
    )
    log.info("prepared results: %s", ", ".join(str(p) for p in written) or "all present")
