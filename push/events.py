"""Every event a citizen can be told of: the inbox message, the WeChat subscribe message and the
SMS of each are chosen by its type (push.templates), so the type is checked end to end."""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "declaration.submitted",
    "declaration.delivered",
    "declaration.needs_supplement",
    "declaration.not_accepted",
    "declaration.accepted",
    "declaration.processing",
    "declaration.completed",
    "declaration.refused",
    "declaration.withdrawn",
    "declaration.platform_refused",
    "declaration.supplement_refused",
    "declaration.tolerated_refused",
    "declaration.overdue_warning",
    "payment.notice",
    "payment.paid",
    "licence.revoked",
    "deadline.moved",
    "review.ticket_opened",
    "review.ticket_resolved",
    "queue.called",
    "queue.completed",
    "appointment.reminder",
    "appointment.no_show",
    "hotline.received",
    "hotline.transferred",
    "hotline.replied",
    "delivery.shipped",
    "delivery.collected",
    "delivery.in_transit",
    "delivery.out_for_delivery",
    "delivery.signed",
    "bundle.member_started",
    "bundle.member_blocked",
    "bundle.completed",
    "proxy.granted",
    "proxy.received",
    "proxy.acted",
    "proxy.revoked",
    "assist.confirmed",
]

EVENT_TYPES: frozenset[EventType] = frozenset(get_args(EventType))

# What an inbox message reports: an event, or a notice staff sent (push.service.notices).
MessageType = EventType | Literal["notice"]

__all__ = ["EVENT_TYPES", "EventType", "MessageType"]
