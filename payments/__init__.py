"""Payment domain: fee notices, WeChat Pay v3 orders, notifications, refunds, reconciliation.

Imports ``core`` only; never ``api`` or ``push``.
"""
