"""Exports: delivering a bot's rows to destinations (webhooks, Google Sheets, Slack)."""
