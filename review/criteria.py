"""The review criteria of policy 3.1, one score each on the score sheet.

Scores run from 1 (exceptional) to 9 (poor), as in the scoring scales boards already know;
the overall impact score and the recommendation come after them.
"""

from dataclasses import dataclass

SCORE_MIN = 1
SCORE_MAX = 9
SCORE_LABELS = {
    1: "1 (exceptional)",
    2: "2 (outstanding)",
    3: "3 (excellent)",
    4: "4 (very good)",
    5: "5 (good)",
    6: "6 (satisfactory)",
    7: "7 (fair)",
    8: "8 (marginal)",
    9: "9 (poor)",
}
# Reviewers disagree strongly on a criterion when their scores span at least this much.
STRONG_DISAGREEMENT_RANGE = 4


@dataclass(frozen=True)
class Criterion:
    key: str
    title: str
    question: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "soundness",
        "Scientific soundness and non-duplication",
        "Is the research scientifically sound and non-duplicative, with the potential to "
        "contribute significantly to knowledge that improves health and well-being?",
    ),
    Criterion(
        "mission",
        "Alignment with the mission and value added",
        "Does the research align with the program's mission and core values, and add unique value?",
    ),
    Criterion(
        "scarcity",
        "Appropriate use of a scarce resource",
        "Is the research an appropriate and justified use of this scarce and finite "
        "biospecimen resource: are these biospecimens essential to the question?",
    ),
    Criterion(
        "team",
        "Team and facility",
        "Is the team sufficiently qualified, and does the laboratory have the infrastructure "
        "to handle and store the biospecimens securely?",
    ),
    Criterion(
        "analysis",
        "Analysis and power",
        "Will the proposed analysis produce high-quality data, and is the power analysis "
        "sufficient for meaningful outcomes?",
    ),
    Criterion(
        "safeguards",
        "Safeguards against harm and stigmatization",
        "What safeguards prevent participant or group harm or stigmatization at every "
        "stage, including dissemination?",
    ),
    Criterion(
        "security",
        "Biospecimen and data security",
        "Is there a robust plan for biospecimen and data security?",
    ),
    Criterion(
        "data_return",
        "Data return plan",
        "Is there a plan, with a timeline, to return assay data to the DRC in formats that "
        "integrate with the program's data?",
    ),
)
CRITERION_KEYS = tuple(c.key for c in CRITERIA)
