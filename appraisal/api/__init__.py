"""The appraisal REST API under /api/v1/appraisal/ (API.md ``appraisal/checks/``)."""
