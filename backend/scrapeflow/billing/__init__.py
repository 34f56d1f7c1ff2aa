"""Plans, usage and quotas."""
