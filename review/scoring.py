"""Score sheets as data: what a sheet must hold to be submitted, and the board's summary of
the submitted ones. Pure functions, tested without a database."""

from dataclasses import dataclass
from statistics import mean
from typing import Any

from review.criteria import (
    CRITERIA,
    SCORE_MAX,
    SCORE_MIN,
    STRONG_DISAGREEMENT_RANGE,
)

RECOMMENDATIONS = ("approve", "conditional", "revise", "deny")


def parse_score(value: Any) -> int | None:
    """A score as typed: an integer, or None when it is empty or not a whole number."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number


def sheet_problems(data: dict[str, Any], *, final: bool) -> dict[str, str]:
    """Field -> what to fix. A score outside 1 to 9 is refused even in a draft; a final
    sheet needs every criterion's score and comment, the overall impact and the
    recommendation."""
    problems: dict[str, str] = {}
    scores = data.get("scores", {})
    for criterion in CRITERIA:
        entry = scores.get(criterion.key, {})
        raw = entry.get("score")
        score = parse_score(raw)
        if raw not in (None, "") and (score is None or not SCORE_MIN <= score <= SCORE_MAX):
            problems[f"score_{criterion.key}"] = (
                f"{criterion.title}: give a whole number from 1 (exceptional) to 9 (poor)."
            )
        elif final and score is None:
            problems[f"score_{criterion.key}"] = f"{criterion.title}: give a score from 1 to 9."
        if final and not str(entry.get("comment", "")).strip():
            problems[f"comment_{criterion.key}"] = (
                f"{criterion.title}: say in a comment what the score rests on."
            )
    raw = data.get("overall")
    overall = parse_score(raw)
    if raw not in (None, "") and (overall is None or not SCORE_MIN <= overall <= SCORE_MAX):
        problems["overall"] = "Overall impact: give a whole number from 1 to 9."
    elif final and overall is None:
        problems["overall"] = "Give the overall impact score, from 1 to 9."
    recommendation = data.get("recommendation") or ""
    if recommendation and recommendation not in RECOMMENDATIONS:
        problems["recommendation"] = "Choose a recommendation from the list."
    elif final and not recommendation:
        problems["recommendation"] = "Choose your recommendation."
    if final and not str(data.get("comments_for_applicant", "")).strip():
        problems["comments_for_applicant"] = (
            "Write the comments the applicant will read with the decision."
        )
    return problems


@dataclass(frozen=True)
class CriterionSummary:
    key: str
    title: str
    scores: list[int]
    mean: float | None
    low: int | None
    high: int | None

    @property
    def disagreement(self) -> bool:
        """Strong disagreement: the scores span STRONG_DISAGREEMENT_RANGE or more."""
        return (
            self.low is not None
            and self.high is not None
            and self.high - self.low >= STRONG_DISAGREEMENT_RANGE
        )


def summarise(sheets: list[dict[str, Any]]) -> list[CriterionSummary]:
    """Each criterion's scores, mean and range over submitted sheets (their `scores`), with
    the overall impact last."""
    rows = []
    for criterion in CRITERIA:
        values = [
            s
            for sheet in sheets
            if (s := parse_score(sheet["scores"].get(criterion.key, {}).get("score"))) is not None
        ]
        rows.append(_summary(criterion.key, criterion.title, values))
    overall = [int(sheet["overall"]) for sheet in sheets if sheet.get("overall") is not None]
    rows.append(_summary("overall", "Overall impact", overall))
    return rows


def _summary(key: str, title: str, values: list[int]) -> CriterionSummary:
    return CriterionSummary(
        key=key,
        title=title,
        scores=values,
        mean=round(mean(values), 1) if values else None,
        low=min(values) if values else None,
        high=max(values) if values else None,
    )
