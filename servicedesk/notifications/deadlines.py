from datetime import datetime

from servicedesk.deadlines.registry import deadline_check


@deadline_check("notifications.deliver", atomic=False)
def deliver(now: datetime) -> int:
    """Send the e-mails and SMS of notifications committed since the last sweep."""
    from servicedesk.notifications.services import deliver_pending

    return deliver_pending()
