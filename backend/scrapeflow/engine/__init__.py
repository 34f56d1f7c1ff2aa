"""The scraping engine: runs a compiled plan over URLs without Celery, the web layer or a database."""
