"""The applications app's audit actions (portal.actions explains the convention)."""

from portal.actions import AuditAction


class ApplicationAction(AuditAction):
    TEMPLATE_VERSION_PUBLISH = "template_version.publish", "Application template version published"
    APPLICATION_START = "application.start", "Application started"
    APPLICATION_DETAILS_SAVE = "application.details_save", "Application details saved"
    APPLICATION_SECTION_SAVE = "application.section_save", "Application section saved"
    SPECIMEN_LINE_ADD = "specimen_line.add", "Specimen line added"
    SPECIMEN_LINE_CHANGE = "specimen_line.change", "Specimen line changed"
    SPECIMEN_LINE_REMOVE = "specimen_line.remove", "Specimen line removed"
    TEAM_INVITE = "team.invite", "Team member invited"
    TEAM_ACCEPT = "team.accept", "Team invitation accepted"
    TEAM_REMOVE = "team.remove", "Team member removed"
    UPLOAD_ADD = "application_upload.add", "Supplementary document uploaded"
    APPLICATION_SUBMIT = "application.submit", "Application submitted"
    APPLICATION_WITHDRAW = "application.withdraw", "Application withdrawn"
    APPLICATION_SCREEN = "application.screen", "Application taken for screening"
    APPLICATION_ACCEPT = "application.accept", "Application accepted into review"
    APPLICATION_RETURN = "application.return", "Application returned as incomplete"
