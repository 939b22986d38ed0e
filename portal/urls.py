from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from portal import views

admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Biospecimen Access Portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:role>/", views.role_dashboard, name="role-dashboard"),
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.notification_mark_read,
        name="notification-mark-read",
    ),
    path("documents/<uuid:pk>/download/", views.document_download, name="document-download"),
    path("access/", include("portal.onboarding.urls")),
    path("accounts/", include("allauth.urls")),
    path("applications/", include("applications.urls")),
    path("review/", include("review.urls")),
    path("compliance/", include("compliance.urls")),
    path("admin/", admin.site.urls),
]
