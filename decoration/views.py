"""Desk and portal pages of decoration management (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from decoration.models import ConstructionNotice, Permit
from servicedesk.core.scoping import get_scoped_or_404


@login_required
def permit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permit = get_scoped_or_404(Permit.objects.all(), request.user, pk=pk)
    return render(request, "decoration/permit_detail.html", {"permit": permit})


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_scoped_or_404(ConstructionNotice.objects.all(), request.user, pk=pk)
    return render(request, "decoration/notice_detail.html", {"notice": notice})
