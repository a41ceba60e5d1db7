"""servicedesk: the customer-service desk (客服部) of a property-management company."""

from servicedesk.celery import app as celery_app

__all__ = ["celery_app"]
