"""The admin form for importing a year from the State Council's notice (CAL-02)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.workcal.notice import ParsedNotice, parse_notice

NOTICE_HELP = _(
    "每行一天或一段日期，格式为“日期 类型 说明（可省略）”。日期写作 2027-01-01；"
    "连续多天写作 2027-02-10~2027-02-17（也可用全角“～”、“--”或“至”连接）。"
    "类型：放假写“休”“节假日”“放假”或 holiday；调休上班写“班”“上班”“工作日”或 workday。"
    "例如：\n2027-01-01 休 元旦\n2027-02-06~2027-02-13 休 春节\n2027-02-14 班 调休上班\n"
    "只需列出通知中的放假日和调休上班日，其余日期按周一至周五上班、周六周日休息。"
    "所有日期须在所选年份内；空行和以 # 开头的行会被忽略。"
    "任何一行有误则全部不导入，并指出行号。同一日期已有的手工调整会保留。"
)


class NoticeImportForm(forms.Form):
    year = forms.IntegerField(
        label=_("年份"),
        min_value=2000,
        max_value=2200,
        help_text=_("通知适用的年份，如 2027。"),
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=200,
        required=False,
        help_text=_("如通知文号“国办发明电〔2026〕X号”。"),
    )
    text = forms.CharField(
        label=_("放假与调休安排"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 60, "style": "font-family: monospace"}),
        help_text=NOTICE_HELP,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parsed: ParsedNotice | None = None
        if not self.is_bound:
            self.fields["year"].initial = timezone.localdate().year + 1

    def clean(self) -> dict[str, Any]:
        """Validate every line; report each bad one with its number (CAL-02)."""
        cleaned = super().clean() or {}
        year, text = cleaned.get("year"), cleaned.get("text")
        if year is not None and text is not None:
            self.parsed = parse_notice(text, year)
            for error in self.parsed.errors:
                self.add_error("text", str(error))
        return cleaned
