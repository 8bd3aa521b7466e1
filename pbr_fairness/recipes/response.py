"""The worlds a contract is tested in: the generator's response scenarios, in plain words.

A response scenario says how support moves a person's chance of a job outcome, and in
particular how the gain and the hours needed vary with distance from work
(``response`` in ``pbr_fairness/data/generator.yaml``; ``make_caseload(..., response=NAME)``).
Each is recalibrated to the same fitted targets, so all three reproduce the Work Programme's
published outcome rates; they differ in what support could have done.

The default caseload is prepared for the default scenario (``evidence``); for another one the
app generates a caseload of the same recipe (seed, providers) but fewer people
(:func:`response_caseload_size`), so that the first page appears in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbr_fairness.caseload.generator import RESPONSE_SCENARIOS
from pbr_fairness.scenario.model import DEFAULT_RESPONSE, RESPONSES, Response

__all__ = [
    "DEFAULT_RESPONSE",
    "RESPONSES",
    "RESPONSE_CASELOAD_N",
    "RESPONSE_HELP",
    "Response",
    "ResponseHelp",
    "response_caseload_size",
]

#: People generated for a scenario other than the default (same seed and providers).
RESPONSE_CASELOAD_N = 50_000

if set(RESPONSES) != set(RESPONSE_SCENARIOS):  # pragma: no cover - a test checks this too
    raise RuntimeError("recipes.response.RESPONSES must name the generator's scenarios")


@dataclass(frozen=True)
class ResponseHelp:
    """A response scenario in plain words.

    Attributes
    ----------
    label : str
        A short name for a choice.
    assumes : str
        What it assumes about support and distance from work.
    evidence : str
        The evidence behind it, and how far it goes.
    """

    label: str
    assumes: str
    evidence: str

    def markdown(self) -> str:
        """Return the help as two short Markdown paragraphs."""
        return f"**Assumes:** {self.assumes}\n\n**Evidence:** {self.evidence}"


#: Each scenario's help (docs/calibration.md, "The response scenarios").
RESPONSE_HELP: dict[Response, ResponseHelp] = {
    "evidence": ResponseHelp(
        label="Follows the evidence (default)",
        assumes=(
            "support helps people far from work about as much as people close to it, but "
            "each point of chance gained takes them more hours (and more again with a "
            "work-limiting condition). Parking the furthest from work then comes from cost: "
            "a fair planner would still serve them."
        ),
        evidence=(
            "the meta-analysis of Card, Kluve & Weber (2018, JEEA) finds programme impacts "
            "no lower on average for entrants from long-term unemployment; in the NSW "
            "experiment the effect in the furthest-from-work third was +18.5 points (95% "
            "interval 4.7 to 32.3). The sizes are estimates with documented ranges."
        ),
    ),
    "gain_falls": ResponseHelp(
        label="Gain falls with distance",
        assumes=(
            "support adds a constant shift on the log-odds scale, so those furthest from "
            "work gain the fewest points. Parking them is then nearly efficient: a planner "
            "would park them too."
        ),
        evidence=(
            "the model's first version, kept to show how much a conclusion depends on this "
            "assumption. It goes against the evidence above; it reproduces the published "
            "outcome rates, but misses more held-out figures (the margin, the bidders' "
            "planned spend and the government's spend per ESA participant)."
        ),
    ),
    "gain_rises": ResponseHelp(
        label="Gain rises with distance",
        assumes=(
            "the gain rises steeply with distance (about twice as many points in the lowest "
            "decile as in the fifth), while the hours needed per point rise as in the "
            "default."
        ),
        evidence=(
            "NSW's larger effect in the furthest third taken at face value: a single trial "
            "with a wide interval. It also misses the held-out deadweight range (93.8%) and "
            "the new ESA claimants' rate without support."
        ),
    ),
}


def response_caseload_size(response: str, forced: int | None = None) -> int | None:
    """People to generate for a response scenario (``None``: the default caseload as it is).

    Parameters
    ----------
    response : str
        One of :data:`RESPONSES`.
    forced : int, optional
        A size forced for every caseload (a test or a small machine); used as it is.

    Returns
    -------
    int or None
        ``None`` for the default scenario without a forced size (the prepared file, or its
        in-memory fallback); else the number of people.

    Raises
    ------
    ValueError
        For an unknown scenario.

    Examples
    --------
    >>> response_caseload_size("evidence") is None
    True
    >>> response_caseload_size("gain_rises")
    50000
    >>> response_caseload_size("gain_rises", forced=4000)
    4000
    """
    if response not in RESPONSES:
        raise ValueError(
            f"unknown response scenario {response!r}; known: {', '.join(RESPONSES)}"
        )
    if forced is not None:
        return int(forced)
    return None if response == DEFAULT_RESPONSE else RESPONSE_CASELOAD_N
