"""The Privacy page: direct identifiers said first, in red; quasi-identifiers from the policy or
the detector, never one column picked by position; a yes/no `telephone` is no identifier."""

from __future__ import annotations

from typing import Any

from app_testing import open_page, texts

from responsible_ai.datasets import sample_data_dir


def _in_order(node: Any) -> list[Any]:
    """Every element of the page, in the order a reader meets them."""
    children = getattr(node, "children", None)
    if not isinstance(children, dict):
        return [node]
    found: list[Any] = []
    for key in sorted(children):
        found += _in_order(children[key])
    return found


def _audit_people(app, policy: str):
    at = open_page(app, "views/data_and_model.py")
    at.file_uploader(key="data_file").set_value(
        ("people.csv", (sample_data_dir() / "people.csv").read_bytes(), "text/csv")
    )
    at.run()
    assert "column 'zip_code' kept as text: its values are codes with leading zeros" in texts(at)
    at.radio(key="source").set_value("A column of the data").run()
    at.selectbox(key="prediction").set_value("loan_approved").run()
    at.selectbox(key="positive").set_value("yes").run()
    at.multiselect(key="sensitive").set_value(["sex"]).run()
    at.selectbox(key="policy_choice").set_value(policy).run()
    at.button(key="audit").click().run()
    assert not at.error, [e.value for e in at.error]
    return open_page(at, "views/privacy.py")


def test_people_upload_shows_the_direct_identifiers_first_in_red(app):
    at = _audit_people(app, "eeoc-four-fifths.yaml")
    elements = [e for e in _in_order(at.main) if e.type in ("error", "metric", "dataframe")]
    first = elements[0]
    assert first.type == "error", first
    for column in ("full_name", "email", "phone", "national_id", "street_address"):
        assert column.replace("_", "\\_") in first.value
    assert "birth\\_date" not in first.value  # a quasi-identifier, not a direct one
    assert [e.type for e in elements].index("metric") > 0


def test_people_quasi_identifiers_are_those_found_not_one_by_position(app):
    at = _audit_people(app, "eeoc-four-fifths.yaml")
    assert at.multiselect[0].value == ["birth_date", "zip_code", "sex"]
    assert "found in the data" in texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["k (smallest group)"] == "1"  # birth date and ZIP code single people out
    measures = next(e.value for e in at.dataframe if "measure" in e.value.columns)
    assert "unique records (share)" in set(measures["measure"])  # readable, not snake_case


def test_the_policy_names_the_quasi_identifiers(app):
    at = _audit_people(app, "gdpr-pseudonymisation.yaml")
    assert at.multiselect[0].value == ["birth_date", "zip_code", "sex"]
    assert "Quasi-identifiers the policy's privacy.quasi_identifiers: birth_date" in texts(at)
    assert at.multiselect[1].value == ["health_condition"]  # the policy's sensitive attribute


def test_german_sample_telephone_is_no_identifier(app):
    at = open_page(app, "views/privacy.py")
    assert not at.error, [e.value for e in at.error]
    assert "No column looks like a direct identifier or personal data." in texts(at)
    tables = [e.value for e in at.dataframe if "column" in e.value.columns]
    assert not tables  # no identifier table: today it lists telephone as a phone hint
    quasi = at.multiselect[0].value
    assert {"age", "sex"} <= set(quasi) and "telephone" not in quasi
    assert "k (smallest group)" in {m.label for m in at.metric}
