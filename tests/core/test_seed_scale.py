"""``manage.py seed_scale``: the bench data set, fast, realistic and idempotent."""

import pytest
from django.core.management import call_command

from servicedesk.core.management.commands import seed_scale
from servicedesk.core.models import Project, Resident, Unit


@pytest.mark.django_db
def test_seed_scale_builds_the_requested_size_once_and_runs_module_hooks(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(seed_scale, "_HOOKS", {})
    seed_scale.register_scale_hook(lambda project, stdout: seen.append(project.code))

    call_command("seed_scale", units=300, residents=450)
    call_command("seed_scale", units=300, residents=450)

    project = Project.objects.get(code="SCALE")
    assert Unit.objects.filter(project=project).count() == 300
    assert Resident.objects.filter(unit__project=project).count() == 450
    assert seen[0] == "SCALE"
    phones = Resident.objects.values_list("phone", flat=True)[:50]
    assert all(str(p).startswith("+861") and len(str(p)) == 14 for p in phones)
