"""The proxies domain has no jobs: grants, confirmations and revocations take effect in the
request, and the messages they send are push's jobs."""
