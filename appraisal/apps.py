from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("员工考核")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from appraisal.dashboard_cache import invalidate_on_commit
        from appraisal.models import Assessment, Deduction, TrainingResult
        from appraisal.views import pending_panel
        from servicedesk.core.models import Department, StaffProfile, StaffRole

        # Everything the cached monthly dashboard shows (appraisal/dashboard_cache.py).
        for model in (Assessment, Deduction, TrainingResult, StaffProfile, StaffRole, Department):
            post_save.connect(invalidate_on_commit, sender=model, weak=False)
            post_delete.connect(invalidate_on_commit, sender=model, weak=False)
        from servicedesk.core.models import Role
        from servicedesk.web.nav import register_nav
        from servicedesk.web.panels import register_panel

        # APR-07: the manager runs the appraisals, supervisors the checks, the
        # general manager sees everyone; every staff member sees their own.
        register_nav(
            _("员工考核"),
            "appraisal:dashboard",
            roles=[Role.MANAGER, Role.SUPERVISOR, Role.GENERAL_MANAGER],
            order=24,
        )
        register_nav(_("我的考核"), "appraisal:mine", roles=None, order=25)
        register_panel(
            "appraisal.pending",
            "web/panels/due_list.html",
            pending_panel,
            roles=None,
            order=40,
        )
