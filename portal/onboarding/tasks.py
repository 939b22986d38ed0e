"""Thin Celery tasks for onboarding's scheduled jobs."""
