from django.urls import path

from applications.views import researcher, staff, templates

app_name = "applications"

urlpatterns = [
    path("", researcher.application_list, name="list"),
    path("new/", researcher.application_new, name="new"),
    path("screening/", staff.queue, name="queue"),
    path("templates/", templates.template_versions, name="templates"),
    path("team/<int:member>/accept/", researcher.team_invitation_accept, name="team-accept"),
    path("<int:pk>/", researcher.application_detail, name="detail"),
    path("<int:pk>/details/", researcher.application_details, name="details"),
    path("<int:pk>/sections/<slug:key>/", researcher.application_section, name="section"),
    path("<int:pk>/lines/", researcher.application_lines, name="lines"),
    path(
        "<int:pk>/lines/<int:line>/remove/", researcher.application_line_remove, name="line-remove"
    ),
    path("<int:pk>/team/", researcher.application_team, name="team"),
    path("<int:pk>/team/<int:member>/remove/", researcher.team_member_remove, name="team-remove"),
    path("<int:pk>/submit/", researcher.application_submit_view, name="submit"),
    path("<int:pk>/withdraw/", researcher.application_withdraw_view, name="withdraw"),
    path("<int:pk>/follow-up/", researcher.application_follow_up, name="follow-up"),
    path("<int:pk>/uploads/", researcher.application_uploads, name="uploads"),
    path(
        "<int:pk>/uploads/<int:upload>/download/",
        researcher.application_upload_download,
        name="upload-download",
    ),
    path("<int:pk>/pdf/", researcher.application_pdf, name="pdf"),
    path("<int:pk>/changes/", researcher.application_changes, name="changes"),
    path("<int:pk>/screen/", staff.screen, name="screen"),
    path("<int:pk>/accept/", staff.accept, name="accept"),
    path("<int:pk>/return/", staff.return_incomplete, name="return"),
]
