"""Reports: the Report object and its JSON, Markdown, JUnit, text and notebook renderings."""

from responsible_ai.report.model import REPORT_SCHEMA_VERSION, Report

__all__ = ["REPORT_SCHEMA_VERSION", "Report", "report_json_schema"]


def report_json_schema() -> dict[str, object]:
    """The published JSON Schema of the JSON report."""
    import json
    from importlib import resources

    text = resources.files("responsible_ai").joinpath("schemas/report.schema.json").read_text()
    return json.loads(text)
