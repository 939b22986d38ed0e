"""The sections of an application template version, read from its data (policy 2.2, 3.3).

`DEFAULT_SECTIONS` is the program's first published version: the twelve sections of 2.2,
the conflict-of-interest declaration of 2.2 and 4.5, and the extra fields that a request
including American Indian or Alaska Native biospecimens must answer (3.3). A program admin
publishes later versions (`template_version_publish`); applications keep theirs.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# The condition under which the AI/AN fields are shown and required.
AI_AN = "ai_an"
VISIBILITIES = ("board", "public")
SHORTEST_LIMIT, LONGEST_LIMIT = 100, 50_000  # bounds of a section's length limit


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    guidance: str
    required: bool = True
    max_length: int = 5000
    visibility: str = "board"  # "board": the board alone; "public": may become public
    shown_when: str | None = None  # None: always; AI_AN: only for AI/AN requests

    def applies(self, *, includes_ai_an: bool) -> bool:
        return self.shown_when is None or (self.shown_when == AI_AN and includes_ai_an)


def _s(key: str, title: str, guidance: str, **kwargs: Any) -> SectionSpec:
    return SectionSpec(key=key, title=title, guidance=guidance, **kwargs)


DEFAULT_SECTIONS: tuple[SectionSpec, ...] = (
    _s(
        "abstract",
        "Abstract",
        "Describe the project for a general audience: what you will study, why it matters, "
        "and what participants and communities may gain. Avoid jargon.",
        max_length=3000,
        visibility="public",
    ),
    _s(
        "rationale",
        "Research rationale",
        "Explain the novel or crucial need for biospecimens from this cohort, and for the "
        "particular subpopulations you request.",
    ),
    _s(
        "hypotheses", "Main hypotheses", "State the main hypothesis or hypotheses.", max_length=3000
    ),
    _s("aims", "Research aims", "List the research aims.", max_length=3000),
    _s(
        "benefits",
        "Anticipated benefits",
        "How the study adds to the program's scientific resources, may benefit particular "
        "subpopulations (for example groups underrepresented in biomedical research), or may "
        "reduce health disparities.",
        visibility="public",
    ),
    _s(
        "statistical_power",
        "Statistical power",
        "A brief overview of the statistical power of the analyses you anticipate.",
        max_length=3000,
    ),
    _s(
        "assay_performance",
        "Assay performance",
        "General performance metrics of the proposed assays (specificity, sensitivity, "
        "reproducibility, as applicable).",
        max_length=3000,
    ),
    _s(
        "dissemination",
        "Dissemination and data return",
        "Plan, proposed funding and timeline for disseminating products and results "
        "(abstracts, publications, knowledge products for participants) and for returning data "
        "to the Data and Research Center.",
    ),
    _s(
        "return_of_results",
        "Return of individual results",
        "Plan, proposed funding and timeline to return individual research results to "
        "participants, if appropriate; say so if you will not, and why.",
        max_length=3000,
    ),
    _s(
        "laboratory",
        "Laboratory, storage and security",
        "Qualifications of the laboratory or facility, how the biospecimens will be secured and "
        "stored, and past work on similar research where applicable.",
    ),
    _s(
        "risks",
        "Risks to participants and communities",
        "Potential risks to participants or other individuals, and potential harms to groups "
        "or communities whose biospecimens you request.",
    ),
    _s(
        "mitigation",
        "Mitigation of harms",
        "Measures to mitigate harms to individuals, groups and communities, such as steps to "
        "prevent stigmatization.",
    ),
    _s(
        "conflicts",
        "Conflicts of interest",
        "Declare every conflict of interest, financial or not, of anyone on the team. For each, "
        "describe how the research design and protocol mitigate its influence. Write 'None' if "
        "there are none.",
        max_length=4000,
    ),
    _s(
        "ai_an_engagement",
        "Community engagement (American Indian and Alaska Native biospecimens)",
        "How American Indian and Alaska Native communities have been, and will be, engaged in "
        "the design, conduct and dissemination of the research.",
        shown_when=AI_AN,
    ),
    _s(
        "ai_an_consultation",
        "Tribal consultation",
        "The tribal consultation held or planned, with whom and when, following the program's "
        "policy on respectful research involving AI/AN populations.",
        shown_when=AI_AN,
    ),
    _s(
        "ai_an_benefit",
        "Benefit to the communities",
        "How the research may benefit the American Indian and Alaska Native communities whose "
        "biospecimens you request.",
        shown_when=AI_AN,
    ),
)

DEFAULT_FEE_SCHEDULE: tuple[dict[str, str], ...] = (
    {"item": "Assembly of the requested biospecimen set", "amount": "USD 250 per request"},
    {"item": "Production of QC samples", "amount": "USD 10 per QC sample"},
    {"item": "Shipment", "amount": "USD 150 per shipment"},
    {"item": "Analysis of QC results", "amount": "USD 200 per request"},
)


def sections_from_data(data: Iterable[dict[str, Any]]) -> list[SectionSpec]:
    return [SectionSpec(**item) for item in data]


def sections_to_data(sections: Iterable[SectionSpec]) -> list[dict[str, Any]]:
    return [asdict(section) for section in sections]


def sections_problems(sections: list[SectionSpec]) -> list[str]:
    """What is wrong with a set of sections a program admin wants to publish."""
    problems = []
    keys = [s.key for s in sections]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"The key “{key}” is used by more than one section; keys must differ.")
    for s in sections:
        if not s.key.isidentifier() or not s.key.islower():
            problems.append(f"“{s.key}”: a key is lower-case letters, digits and underscores.")
        if not s.title.strip():
            problems.append(f"“{s.key}”: give the section a title.")
        if not SHORTEST_LIMIT <= s.max_length <= LONGEST_LIMIT:
            problems.append(f"“{s.key}”: the length limit must be between 100 and 50,000.")
        if s.visibility not in VISIBILITIES:
            problems.append(f"“{s.key}”: who sees it must be 'board' or 'public'.")
        if s.shown_when not in (None, AI_AN):
            problems.append(f"“{s.key}”: a section is shown always or only for AI/AN requests.")
    if not sections:
        problems.append("A template needs at least one section.")
    return problems


def sections_sha256(sections: Iterable[SectionSpec]) -> str:
    text = json.dumps(sections_to_data(sections), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
