"""The portal's URLs plus /bench/bare/: one `SELECT 1`, the floor every page is measured
against (the same process, the same minute)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("portal.urls")),
]
