from django.urls import URLPattern

app_name = "applications"

urlpatterns: list[URLPattern] = []
