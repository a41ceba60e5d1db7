"""Input and output serializers of ``appraisal/`` (API.md). Inputs only validate;
the views call one service of ``appraisal.services`` each. Fields are listed
explicitly: scores, status and assessor are output only, derived by
``appraisal.rules`` through the services, and can never be written.

Points are decimal strings with two places (``"98.00"``), like money (API.md).
Read-side ``kind``/``status``/``measure`` are plain strings, not enums, so that
each OpenAPI enum belongs to one request component and enum names of different
apps never collide (as complaints/, keys/, visits/).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from appraisal import rules
from appraisal.models import (
    Assessment,
    AssessmentContent,
    CriteriaSet,
    Deduction,
    Dimension,
    Item,
    Kind,
    Penalty,
    Suggestion,
    TrainingResult,
)
from servicedesk.core.models import StaffProfile


def _points(help_text: str = "", **kwargs: Any) -> serializers.DecimalField:
    """A read-only score: a decimal string with two places."""
    return serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, help_text=help_text, **kwargs
    )


def _staff_id(help_text: str, source: str) -> serializers.IntegerField:
    """A user shown as their staff id (as in ``staff/``); null for an account without one."""
    return serializers.IntegerField(
        source=source, read_only=True, allow_null=True, help_text=help_text
    )


# --- Criteria (APR-01, APR-03; 公开 to all staff, APR-07) ---------------------------------


class AppraisalItemSerializer(serializers.ModelSerializer[Item]):
    standards = serializers.SerializerMethodField(help_text="检查标准，每条一项（APR-02）")
    max_points = _points("满分")

    class Meta:
        model = Item
        fields = ["code", "name", "max_points", "standards", "order"]
        read_only_fields = fields

    def get_standards(self, item: Item) -> list[str]:
        return item.standard_lines()


class AppraisalDimensionSerializer(serializers.ModelSerializer[Dimension]):
    code = serializers.CharField(read_only=True, help_text="de | qin | neng | ji")
    max_points = _points("满分")
    items = AppraisalItemSerializer(many=True, read_only=True)

    class Meta:
        model = Dimension
        fields = ["code", "max_points", "order", "items"]
        read_only_fields = fields


class CriteriaSetSerializer(serializers.ModelSerializer[CriteriaSet]):
    """One version of the 《员工绩效考核标准》 with its dimensions and items (APR-01)."""

    staff_level = serializers.CharField(read_only=True, help_text="operational | management")
    test_type = serializers.CharField(read_only=True, help_text="theory | skill")
    status = serializers.CharField(read_only=True, help_text="draft | published | retired")
    dimensions = AppraisalDimensionSerializer(many=True, read_only=True)

    class Meta:
        model = CriteriaSet
        fields = [
            "id",
            "name",
            "staff_level",
            "test_type",
            "version",
            "status",
            "published_at",
            "previous",
            "dimensions",
        ]
        read_only_fields = fields


# --- Assessments: output ------------------------------------------------------------------


class DimensionScoresSerializer(serializers.Serializer[Any]):
    """The four dimension scores (APR-01, APR-02), from the record itself."""

    de = _points("德")
    qin = _points("勤")
    neng = _points("能")
    ji = _points("绩")


class AssessmentCriteriaSerializer(serializers.ModelSerializer[CriteriaSet]):
    """The criteria-set version the record is scored against (never edited, APR-01)."""

    staff_level = serializers.CharField(read_only=True, help_text="operational | management")
    test_type = serializers.CharField(read_only=True, help_text="theory | skill")

    class Meta:
        model = CriteriaSet
        fields = ["id", "version", "name", "staff_level", "test_type"]
        read_only_fields = fields


class AssessmentDeductionSerializer(serializers.ModelSerializer[Deduction]):
    """A deduction with its reason and the standard applied (APR-02), 公开 to the person."""

    item = serializers.CharField(source="item.code", read_only=True, help_text="项目代码，如 de2")
    item_name = serializers.CharField(source="item.name", read_only=True)
    points = _points("扣分")

    class Meta:
        model = Deduction
        fields = ["item", "item_name", "points", "reason", "standard", "is_other", "suggestion"]
        read_only_fields = fields


class AssessmentPenaltySerializer(serializers.ModelSerializer[Penalty]):
    """The administrative penalty recorded besides the deduction (APR-06)."""

    measure = serializers.CharField(
        read_only=True,
        help_text="verbal_warning | written_warning | demerit | major_demerit | dismissal",
    )
    recorded_by = _staff_id("记录人（员工 id，同 staff/）", "recorded_by_staff")

    class Meta:
        model = Penalty
        fields = ["id", "measure", "description", "recorded_by", "recorded_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    """A check or appraisal (API.md ``appraisal/checks/``). Rows come from the
    viewset's queryset (annotated with the assessor's staff id and name).

    ``staff`` and ``assessor`` are staff ids as in ``staff/``; ``department`` is
    the department's code at the time of the record. ``total`` = the four
    dimensions + ``bonus`` (APR-02, APR-05), so it may exceed 100.
    """

    staff_name = serializers.CharField(source="staff.name", read_only=True)
    department: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="部门代码（考核时）"
    )
    kind = serializers.CharField(
        read_only=True, help_text="weekly | monthly_check | spot | monthly | year_end"
    )
    status = serializers.CharField(read_only=True, help_text="draft | final | acknowledged")
    assessor = _staff_id("考核人（员工 id，同 staff/）", "assessor_staff")
    assessor_name = serializers.CharField(read_only=True, allow_null=True)
    criteria_set = AssessmentCriteriaSerializer(read_only=True)
    total = _points("总分（四个维度之和加嘉奖加分）")
    dimension_scores = DimensionScoresSerializer(source="*", read_only=True)
    bonus = _points("嘉奖加分（0，或 1–10，APR-05）")
    deductions = AssessmentDeductionSerializer(many=True, read_only=True)
    penalties = AssessmentPenaltySerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "staff",
            "staff_name",
            "department",
            "kind",
            "period",
            "status",
            "assessor",
            "assessor_name",
            "criteria_set",
            "total",
            "dimension_scores",
            "deductions",
            "bonus",
            "bonus_reason",
            "penalties",
            "comment",
            "created_at",
            "finalised_at",
            "acknowledged_at",
            "staff_comment",
        ]
        read_only_fields = fields


# --- Assessments: input -------------------------------------------------------------------


class DeductionInputSerializer(serializers.Serializer[Any]):
    """One deduction row (APR-02). ``standard`` is the check standard applied; a
    case the standards do not list is the "其它" line (``is_other``). When
    ``is_other`` is not sent it defaults to true exactly when no ``standard`` is
    given, so the API.md minimum ``{"item","points","reason"}`` is recorded as
    其它 with its reason; ``is_other: false`` without a standard is a 400."""

    item = serializers.CharField(max_length=10, help_text="项目代码 de1–ji4（API.md）")
    points = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="扣分")
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text="扣分原因")
    standard = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="依据的检查标准"
    )
    is_other = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="其它（标准未列明）"
    )
    suggestion = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="来自服务数据建议的 id"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("is_other") is None:
            attrs["is_other"] = not attrs.get("standard", "").strip()
        return attrs


_FINALISE_HELP = _(
    "定稿：分数冻结并向本人公开（APR-07）。新建时默认 true（交来的是填好的表）；"
    "送 false 则保存为草稿，之后可修改或调用 finalise。"
)


class AssessmentCreateSerializer(serializers.Serializer[Any]):
    """A new check or appraisal: ``services.assessment_create`` then
    ``assessment_save``, then ``assessment_finalise`` unless ``finalise`` is false.
    All in one transaction: a 400/403 leaves nothing behind."""

    staff = serializers.PrimaryKeyRelatedField(
        queryset=StaffProfile.objects.all(), help_text="被考核人（员工 id，同 staff/）"
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    period = serializers.DateField(
        help_text="考核期间：周检取所在周一，月检/月考核取当月 1 日，年终取 1 月 1 日"
    )
    test_type = serializers.ChoiceField(
        choices=AssessmentContent.choices,
        default=AssessmentContent.SKILL,
        help_text="理论知识或操作技能考核（APR-03）",
    )
    deductions = DeductionInputSerializer(many=True, default=list)
    bonus = serializers.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), help_text="嘉奖加分：0，或 1–10"
    )
    bonus_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="嘉奖事由"
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    finalise = serializers.BooleanField(default=True, help_text=_FINALISE_HELP)


class AssessmentUpdateSerializer(serializers.Serializer[Any]):
    """Replace a draft's deductions, bonus and comment (``services.assessment_save``).
    PUT needs ``deductions``; PATCH keeps what is not sent. ``finalise`` defaults
    to false here: an edit keeps the draft unless asked."""

    deductions = DeductionInputSerializer(many=True)
    bonus = serializers.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), help_text="嘉奖加分：0，或 1–10"
    )
    bonus_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="嘉奖事由"
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    finalise = serializers.BooleanField(default=False, help_text="同时定稿")


class AssessmentReopenSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text="退回更正的原因")


class AssessmentAcknowledgeSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="本人意见"
    )


class AssessmentPenaltyInputSerializer(serializers.Serializer[Any]):
    measure = serializers.ChoiceField(choices=Penalty.Measure.choices)
    description = serializers.CharField(
        max_length=300, allow_blank=True, help_text="违规事实及后果"
    )


# --- Year-end composite (APR-04, APR-05) ----------------------------------------------------


class AnnualPartSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="checks | monthly | year_end")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="占比（%）")
    score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        allow_null=True,
        help_text="该部分的（加权）平均分，显示到两位；综合分按未取舍的值计算。无记录时为 null",
    )
    sources = serializers.DictField(
        child=serializers.ListField(child=serializers.DecimalField(max_digits=6, decimal_places=2)),
        help_text='各类型的总分，如 {"weekly": ["95.00"], "spot": []}',
    )
    record_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="计入该部分的考核记录 id"
    )


class AnnualSerializer(serializers.Serializer[Any]):
    """``GET appraisal/annual/<staff_id>/<year>/``: the year-end composite (APR-04)
    from the person's finalised records, rounded half up to two places once at the
    end, and the 优秀员工 flag (APR-05: composite above 100)."""

    staff = serializers.IntegerField(help_text="员工 id")
    year = serializers.IntegerField()
    composite = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, help_text="综合分；缺少任一部分时为 null"
    )
    excellent = serializers.BooleanField(help_text="优秀员工（综合分高于 100）")
    parts = AnnualPartSerializer(many=True)
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="尚无定稿记录的部分（checks | monthly | year_end）"
    )
    record_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="全部来源记录 id"
    )


def annual_data(
    staff: StaffProfile, year: int, result: rules.Composite, records: list[Assessment]
) -> dict[str, Any]:
    """Shape ``services.annual``'s result for ``AnnualSerializer``."""
    by_part: dict[str, list[int]] = {"checks": [], "monthly": [], "year_end": []}
    for record in records:
        if record.kind in (Kind.MONTHLY, Kind.YEAR_END):
            by_part[record.kind].append(record.pk)
        else:  # weekly, monthly and spot checks (APR-04's 20 % part)
            by_part["checks"].append(record.pk)
    return {
        "staff": staff.pk,
        "year": year,
        "composite": result.composite,
        "excellent": result.excellent,
        "parts": [
            {
                "key": part.key,
                "percent": part.percent,
                "score": rules.round2(part.score) if part.score is not None else None,
                "sources": part.sources,
                "record_ids": by_part[part.key],
            }
            for part in result.parts
        ],
        "missing": result.missing,
        "record_ids": [r.pk for r in records],
    }


# --- Suggestions from service data (CMP-22 → 绩) -------------------------------------------


class SuggestionSerializer(serializers.ModelSerializer[Suggestion]):
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    # Declared fields are popped from the class by DRF, so this does not shadow Field.source.
    source = serializers.CharField(  # type: ignore[assignment]
        read_only=True,
        help_text="first_question_failure | valid_complaint | first_contact_rate | rectify_rate",
    )
    status = serializers.CharField(read_only=True, help_text="pending | accepted | rejected")
    points = _points("建议扣分")
    decided_by = _staff_id("处理人（员工 id，同 staff/）", "decided_by_staff")

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "staff",
            "staff_name",
            "month",
            "source",
            "item_code",
            "points",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "assessment",
        ]
        read_only_fields = fields


class SuggestionDecideSerializer(serializers.Serializer[Any]):
    """Accept into a draft appraisal of the same person as a deduction, or reject."""

    assessment = serializers.IntegerField(help_text="草稿考核记录 id（同一被考核人）")
    accept = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text="采纳或不采纳的理由")


class SuggestionRefreshSerializer(serializers.Serializer[Any]):
    month = serializers.DateField(help_text="月份（任一日期，取当月；2000–2999 年）")

    def validate_month(self, value: date) -> date:
        # 0001-01 or 9999-12 overflowed turning the month into aware datetimes (a 500).
        if not 2000 <= value.year <= 2999:
            raise serializers.ValidationError(_("月份应在 2000–2999 年之间。"))
        return value


# --- Training (APR-09) ------------------------------------------------------------------


class TrainingResultSerializer(serializers.ModelSerializer[TrainingResult]):
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    stage = serializers.CharField(read_only=True, help_text="induction | on_post")
    test_type = serializers.CharField(read_only=True, help_text="theory | skill")
    score = _points("成绩")
    examiner = _staff_id("考核人（员工 id，同 staff/）", "examiner_staff")

    class Meta:
        model = TrainingResult
        fields = [
            "id",
            "staff",
            "staff_name",
            "stage",
            "test_type",
            "score",
            "passed",
            "taken_on",
            "examiner",
            "note",
        ]
        read_only_fields = fields


class TrainingCreateSerializer(serializers.Serializer[Any]):
    staff = serializers.PrimaryKeyRelatedField(
        queryset=StaffProfile.objects.all(), help_text="员工 id（同 staff/）"
    )
    stage = serializers.ChoiceField(choices=TrainingResult.Stage.choices)
    test_type = serializers.ChoiceField(choices=AssessmentContent.choices)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="成绩（0–100）")
    passed = serializers.BooleanField()
    taken_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


__all__ = [
    "AnnualSerializer",
    "AssessmentAcknowledgeSerializer",
    "AssessmentCreateSerializer",
    "AssessmentPenaltyInputSerializer",
    "AssessmentReopenSerializer",
    "AssessmentSerializer",
    "AssessmentUpdateSerializer",
    "CriteriaSetSerializer",
    "SuggestionDecideSerializer",
    "SuggestionRefreshSerializer",
    "SuggestionSerializer",
    "TrainingCreateSerializer",
    "TrainingResultSerializer",
    "annual_data",
]
