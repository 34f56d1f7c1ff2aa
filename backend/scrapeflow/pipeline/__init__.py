"""Executions on Celery: the app, its queues, and the map → scrape → extract → save → export chain."""
