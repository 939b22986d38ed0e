"""Board review: queues, assignment, declarations, score sheets, discussion, meetings and
decisions, the RAB's questions and appeals, the board and the available volumes."""

from django.urls import path

from review.views import application, board, meetings, queues, rab, reviewer

app_name = "review"

urlpatterns = [
    path("", queues.queue, name="queue"),
    path("assignments/", queues.mine, name="mine"),
    path("rab/", queues.rab, name="rab"),
    path("assignments/<int:pk>/declare/", reviewer.declare, name="declare"),
    path("assignments/<int:pk>/sheet/", reviewer.sheet, name="sheet"),
    path("assignments/<int:pk>/remove/", reviewer.remove, name="unassign"),
    path("applications/<int:pk>/", application.overview, name="overview"),
    path("applications/<int:pk>/assign/", application.assign, name="assign"),
    path("applications/<int:pk>/conflicts/", application.suggestion, name="suggestion"),
    path("applications/<int:pk>/conflict/", application.chair_conflict, name="chair-conflict"),
    path("applications/<int:pk>/scores/", application.scores, name="scores"),
    path("applications/<int:pk>/discussion/", application.discussion, name="discussion"),
    path("applications/<int:pk>/changes/", application.changes, name="changes"),
    path("applications/<int:pk>/escalate/", application.escalate_view, name="escalate"),
    path("applications/<int:pk>/consultations/", application.consult, name="consult"),
    path(
        "applications/<int:pk>/approve-without-review/",
        application.fast_track,
        name="fast-track",
    ),
    path("applications/<int:pk>/funding/", application.funding, name="funding"),
    path("applications/<int:pk>/resubmit/", application.resubmit, name="resubmit"),
    path("applications/<int:pk>/appeal/", application.appeal, name="appeal"),
    path("escalations/<int:pk>/", rab.escalation, name="escalation"),
    path("appeals/<int:pk>/", rab.appeal_detail, name="appeal-detail"),
    path(
        "appeals/<int:pk>/documents/<int:document>/",
        rab.appeal_document,
        name="appeal-document",
    ),
    path("meetings/", meetings.meetings, name="meetings"),
    path("meetings/<int:pk>/", meetings.meeting, name="meeting"),
    path("meetings/<int:pk>/agenda/", meetings.agenda, name="agenda"),
    path("meetings/<int:pk>/attendance/", meetings.attendance, name="attendance"),
    path("meetings/<int:pk>/notes/", meetings.notes, name="meeting-notes"),
    path("meetings/<int:pk>/decide/<int:application_pk>/", meetings.decide, name="decide"),
    path("meetings/<int:pk>/minutes.pdf", meetings.minutes, name="minutes"),
    path("board/", board.board, name="board"),
    path("stock/", board.stock, name="stock"),
]
