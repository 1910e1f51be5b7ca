"""Notification domain: inbox, WeChat subscribe messages, app push, SMS, live events, notices.

Imports ``core`` only. Other domains reach it through ``PushService`` (``push.service``), handed
to them by the composition root, and through its jobs; what push needs of citizens it asks the
identity domain through ``push.service.recipients.Recipients``.
"""
