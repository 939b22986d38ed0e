"""Researcher onboarding and access status (policy 2.1): the records eligibility is made of."""
