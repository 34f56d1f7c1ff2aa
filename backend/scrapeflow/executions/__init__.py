"""Execution records, their logs and live events, results and downloads."""
