"""Scale-data hooks: modules add their own records to the SCALE project.

The registry lives with the command (so the app works without ``bench/``
installed); this module re-exports it. In ``<app>/scale.py``::

    from servicedesk.core.management.commands.seed_scale import register_scale_hook

    @register_scale_hook
    def seed_complaints(project, stdout):
        if Complaint.objects.filter(project=project).exists():
            return  # idempotent
        Complaint.objects.bulk_create([...], batch_size=5000)

``manage.py seed_scale`` imports every installed app's ``scale`` module and calls
each hook once, after units and residents exist.
"""

from servicedesk.core.management.commands.seed_scale import (
    ScaleHook,
    register_scale_hook,
    scale_hooks,
)

__all__ = ["ScaleHook", "register_scale_hook", "scale_hooks"]
