"""Exports: destinations (webhook, Slack, email, Google Sheets), deliveries, retries and review before export."""
