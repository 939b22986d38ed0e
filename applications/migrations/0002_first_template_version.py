"""The program's first application template version (policy 2.2, 3.3, 4.4), loaded with
the portal so that researchers can start applications at once. Later versions are published
by program admins (`template_version_publish`), never by migrations. The sections are written
out here, as published, so that later edits to `applications.sections` do not change them."""

import json

from django.db import migrations
from django.utils import timezone

SECTIONS = json.loads(
    r"""[
 {
  "key": "abstract",
  "title": "Abstract",
  "guidance": "Describe the project for a general audience: what you will study, why it matters, and what participants and communities may gain. Avoid jargon.",
  "required": true,
  "max_length": 3000,
  "visibility": "public",
  "shown_when": null
 },
 {
  "key": "rationale",
  "title": "Research rationale",
  "guidance": "Explain the novel or crucial need for biospecimens from this cohort, and for the particular subpopulations you request.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "hypotheses",
  "title": "Main hypotheses",
  "guidance": "State the main hypothesis or hypotheses.",
  "required": true,
  "max_length": 3000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "aims",
  "title": "Research aims",
  "guidance": "List the research aims.",
  "required": true,
  "max_length": 3000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "benefits",
  "title": "Anticipated benefits",
  "guidance": "How the study adds to the program's scientific resources, may benefit particular subpopulations (for example groups underrepresented in biomedical research), or may reduce health disparities.",
  "required": true,
  "max_length": 5000,
  "visibility": "public",
  "shown_when": null
 },
 {
  "key": "statistical_power",
  "title": "Statistical power",
  "guidance": "A brief overview of the statistical power of the analyses you anticipate.",
  "required": true,
  "max_length": 3000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "assay_performance",
  "title": "Assay performance",
  "guidance": "General performance metrics of the proposed assays (specificity, sensitivity, reproducibility, as applicable).",
  "required": true,
  "max_length": 3000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "dissemination",
  "title": "Dissemination and data return",
  "guidance": "Plan, proposed funding and timeline for disseminating products and results (abstracts, publications, knowledge products for participants) and for returning data to the Data and Research Center.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "return_of_results",
  "title": "Return of individual results",
  "guidance": "Plan, proposed funding and timeline to return individual research results to participants, if appropriate; say so if you will not, and why.",
  "required": true,
  "max_length": 3000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "laboratory",
  "title": "Laboratory, storage and security",
  "guidance": "Qualifications of the laboratory or facility, how the biospecimens will be secured and stored, and past work on similar research where applicable.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "risks",
  "title": "Risks to participants and communities",
  "guidance": "Potential risks to participants or other individuals, and potential harms to groups or communities whose biospecimens you request.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "mitigation",
  "title": "Mitigation of harms",
  "guidance": "Measures to mitigate harms to individuals, groups and communities, such as steps to prevent stigmatization.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "conflicts",
  "title": "Conflicts of interest",
  "guidance": "Declare every conflict of interest, financial or not, of anyone on the team. For each, describe how the research design and protocol mitigate its influence. Write 'None' if there are none.",
  "required": true,
  "max_length": 4000,
  "visibility": "board",
  "shown_when": null
 },
 {
  "key": "ai_an_engagement",
  "title": "Community engagement (American Indian and Alaska Native biospecimens)",
  "guidance": "How American Indian and Alaska Native communities have been, and will be, engaged in the design, conduct and dissemination of the research.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": "ai_an"
 },
 {
  "key": "ai_an_consultation",
  "title": "Tribal consultation",
  "guidance": "The tribal consultation held or planned, with whom and when, following the program's policy on respectful research involving AI/AN populations.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": "ai_an"
 },
 {
  "key": "ai_an_benefit",
  "title": "Benefit to the communities",
  "guidance": "How the research may benefit the American Indian and Alaska Native communities whose biospecimens you request.",
  "required": true,
  "max_length": 5000,
  "visibility": "board",
  "shown_when": "ai_an"
 }
]"""
)
FEE_SCHEDULE = json.loads(
    r"""[
 {
  "item": "Assembly of the requested biospecimen set",
  "amount": "USD 250 per request"
 },
 {
  "item": "Production of QC samples",
  "amount": "USD 10 per QC sample"
 },
 {
  "item": "Shipment",
  "amount": "USD 150 per shipment"
 },
 {
  "item": "Analysis of QC results",
  "amount": "USD 200 per request"
 }
]"""
)
SHA256 = "505ab5c0d9805fb270a76ae4967dee8d985c458d0fc2610bdee4467bd99fb90b"


def load(apps, schema_editor):
    template_model = apps.get_model("applications", "ApplicationTemplate")
    version_model = apps.get_model("applications", "TemplateVersion")
    template, _ = template_model.objects.get_or_create(name="Biospecimen access request")
    if not version_model.objects.filter(template=template).exists():
        version_model.objects.create(
            template=template,
            number=1,
            sections=SECTIONS,
            fee_schedule=FEE_SCHEDULE,
            notes="The first version: the sections of policy 2.2 and the AI/AN fields of 3.3.",
            sha256=SHA256,
            published_at=timezone.now(),
            is_current=True,
        )


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_package")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
