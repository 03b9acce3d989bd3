"""The median age of the whole population read from a baseline table (its one column or its Total column)."""

from extractor.pipeline import extract_records
from schemas import PopulationValue
from tests.table_documents import table_document


def _ages(caption: str, rows: list[list[str]]) -> list[tuple[str, float]]:
    records = extract_records(table_document(caption, rows))
    return sorted((r.field, r.value) for r in records if isinstance(r, PopulationValue))


def test_single_column_table_gives_median_age_and_range_of_one_cell() -> None:
    assert _ages("Table 1 Baseline characteristics", [
        ["Characteristic", "Drug X 100 mg (n = 212)"],
        ["Median (range) age, years", "66 (38–90)"],
        ["Male, n (%)", "120 (56.6)"],
    ]) == [("age_max", 90.0), ("age_median", 66.0), ("age_min", 38.0)]


def test_number_and_percent_columns_are_one_population() -> None:
    assert _ages("Table 1 Patient characteristics", [
        ["Characteristic", "Number", "Percent"],
        ["Age (years) Median (min, max)", "58 (31, 84)"],
    ]) == [("age_max", 84.0), ("age_median", 58.0), ("age_min", 31.0)]


def test_median_row_in_an_age_block_takes_its_range_from_the_row_below() -> None:
    assert _ages("Table 1 Main patient characteristics", [
        ["Characteristics", "No of patients (%)"],
        ["Age (years)"],
        ["Median", "55"],
        ["Range", "29–77"],
    ]) == [("age_max", 77.0), ("age_median", 55.0), ("age_min", 29.0)]


def test_total_column_is_read_beside_arm_columns() -> None:
    assert _ages("Table 1 Baseline characteristics of the patients", [
        ["Parameter", "Arm A (n=50)", "Arm B (n=49)", "Total (n=99)", "P"],
        ["Age, median (range), years", "60 (33–75)", "57 (30–79)", "59 (30–79)", "0.41"],
    ]) == [("age_max", 79.0), ("age_median", 59.0), ("age_min", 30.0)]


def test_arm_columns_alone_give_no_age() -> None:
    assert _ages("Table 1 Baseline characteristics", [
        ["", "Arm A (N=53)", "Arm B (N=44)"],
        ["Age (years)"],
        ["Median", "59.0", "58.0"],
        ["Range", "39–81", "41–80"],
    ]) == []


def test_two_total_columns_of_different_populations_give_no_age() -> None:
    assert _ages("Table 1 Baseline demographics", [
        ["Characteristics", "Total (n = 700)", "Total (n = 54)"],
        ["Age, median (range) (years)", "61 (20–82)", "62 (28–82)"],
    ]) == []


def test_a_bracket_that_is_no_range_gives_the_median_only() -> None:
    assert _ages("Table 1 Patient characteristics", [
        ["Characteristic", "All patients (n = 80)"],
        ["Age, median (IQR), years", "64 (57–70)"],
    ]) == [("age_median", 64.0)]


def test_mean_age_and_age_groups_give_nothing() -> None:
    assert _ages("Table 1 Patient characteristics", [
        ["Characteristic", "All patients (n = 80)"],
        ["Age, years"],
        ["Mean±s.d.", "57.2±9.4"],
        ["Age group"],
        ["Median", "3"],
    ]) == []


def test_a_table_not_of_baseline_gives_no_age() -> None:
    assert _ages("Table 4 Dose intensity", [
        ["Cycle", "Value"],
        ["Median age", "61"],
    ]) == []


def test_an_age_row_printed_in_the_table_head_labels_the_median_row_below() -> None:
    document = table_document("Table 1 Patient characteristics", [
        ["Parameter", "Arm A", "Arm B", "Total"],
        ["Age"],
        ["N", "40", "41", "81"],
        ["Mean ± SD (years)", "66.1 ± 10.2", "67.0 ± 9.8", "66.6 ± 10"],
        ["Median (years)", "66.5", "68.3", "67.4"],
        ["Sex"],
        ["Median (years)", "50", "51", "52"],
    ])
    table = document.tables[0]
    rows = [row.model_copy(update={"header": True}) if i == 1 else row for i, row in enumerate(table.rows)]
    document = document.model_copy(update={"tables": [table.model_copy(update={"rows": rows})]})
    records = extract_records(document)
    assert sorted((r.field, r.value) for r in records if isinstance(r, PopulationValue)) == [("age_median", 67.4)]
