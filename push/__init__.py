"""Notification domain: inbox, WeChat subscribe messages, app push, SMS, live events, notices.

Imports ``core`` only. Other domains reach it through its small public functions (arriving
with the push issue) and through jobs.
"""
