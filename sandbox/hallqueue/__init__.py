"""Stand-in of a service hall's calling system (排队叫号系统): queue numbers per hall, windows
that call them, and signed event callbacks."""

from sandbox.hallqueue.app import build_hallqueue_app, reset_hallqueue

__all__ = ["build_hallqueue_app", "reset_hallqueue"]
