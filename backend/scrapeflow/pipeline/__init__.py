"""The Celery pipeline: map → scrape → extract → save → export."""
