"""Every write on onboarding records."""
