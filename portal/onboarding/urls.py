from portal.onboarding.views import conduct, profile, requirements, roster, staff

urlpatterns = [
    *requirements.urlpatterns,
    *profile.urlpatterns,
    *conduct.urlpatterns,
    *roster.urlpatterns,
    *staff.urlpatterns,
]
