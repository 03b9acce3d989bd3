"""Datasette metadata generated from the schemas: table and column descriptions, labels, sorts, facets."""

from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from extractor import __version__ as EXTRACTOR_VERSION
from publish.articles import ARTICLES_METADATA, ARTICLES_VIEW, PAPER_SOURCES, PAPER_SOURCES_METADATA
from publish.facet_counts import FACET_COUNTS, FACET_COUNTS_METADATA
from publish.meta_analysis import META_HAZARD_RATIOS, META_PROPORTIONS
from publish.search import PASSAGES_FTS, SEARCH_QUERY
from publish.studies import STUDIES, STUDIES_METADATA
from publish.tables import (
    CORRECTIONS,
    PAPER_TABLES,
    PAPERS,
    PASSAGES,
    PROVENANCE,
    SECTIONS,
    TableSpec,
    all_specs,
    evidence_specs,
)
from publish.unchanged import BUILD_STATE, BUILD_STATE_METADATA, FILE_STATS, FILE_STATS_METADATA
from schemas import RECORD_MODELS

TITLE = "trial-evidence"
DESCRIPTION = (
    "Facts about clinical trials read from their papers: registry ids, phase, design, population, "
    "regimens, responses, survival, hazard ratios, dose finding, toxicity and early mortality. "
    "Every value carries the quote it was read from (table provenance) and the rule that read it."
)
LICENSE = "Code MIT; each paper's text keeps its own licence (see papers.source_path)"
SOURCE = f"Extracted by trial-evidence {EXTRACTOR_VERSION} from the files listed in the papers table"

# Tables with more rows get no default facets (each costs a scan of its index on every page).
FACET_MAX_ROWS = 20_000
# Free-text record fields that still take few values across papers, so a facet is useful.
CATEGORICAL_TEXT_FIELDS = ("drug", "term", "window")
# Facets every evidence table gets after its own: where the fact was found and by which rule.
EVIDENCE_FACETS = ("section", "rule_id")

# Non-evidence tables: Datasette options that cannot be derived from the models.
TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    PAPERS: {"label_column": "label", "sort": "stem", "facets": ["format", "journal", "year"]},
    SECTIONS: {"label_column": "title", "facets": ["label"]},
    PASSAGES: {"facets": ["section"], "fts_table": PASSAGES_FTS, "fts_pk": "rowid"},
    PAPER_TABLES: {"label_column": "label", "facets": ["section"]},
    PROVENANCE: {"sort": "record_table", "facets": ["record_table", "section", "rule_id"]},
    CORRECTIONS: {"sort": "id", "facets": ["status", "action", "table", "who"]},
}


TRIALS_METADATA: dict[str, Any] = {
    "description": "One row per trial (registry id): the papers that report it, so a trial's patients are counted once.",
    "columns": {
        "trial_id": "Registry identifier of the trial.",
        "registry": "Registry the identifier belongs to.",
        "n_papers": "How many papers of the database report this trial.",
        "paper_ids": "Ids of those papers (JSON list).",
        "papers": "Their titles (file stem when untitled), JSON list.",
    },
    "facets": ["registry"],
}


_ESTIMATE_COLUMNS = {
    "record_id": "Id of the estimate's best source record (curator-confirmed, then abstract, then first stated).",
    "study_id": "The study (studies.study_id): a trial's registry id, else its article's or paper's id.",
    "study": "The study's label (its latest paper's title or stem).",
    "question": "What the estimate answers: endpoint | comparison, or outcome | arm; one estimate per study per question.",
    "analysis": "primary, updated (a later cut), adjusted (multivariable), per_protocol, subgroup or prognostic: "
                "from the record's analysis_set and effect (extractor/effects.py; curators can correct them).",
    "included": "1: the study's estimate for its question by the selection rule (README); 0: see excluded_reason.",
    "excluded_reason": "Why the estimate is not the study's: rejected by curator, no CI printed, no denominator, "
                       "subgroup analysis, prognostic factor, same study: another estimate chosen (what decided: id).",
    "problem": "Why the estimate cannot be pooled at all (rejected by curator, no CI, no denominator), else empty.",
    "n_sources": "How many places state this value (the same value in abstract and results is one estimate).",
    "record_ids": "The evidence records stating it (JSON list).",
    "sources": "Each of them: record_id, paper_id, section, start, quote (JSON list).",
    "curation": "The curator's decision on its best source (confirmed, corrected, added, rejected).",
    "year": "Publication year of its paper.",
    "in_abstract": "1 when one of its sources is in the abstract.",
}
META_HAZARD_RATIOS_METADATA: dict[str, Any] = {
    "description": "One row per hazard-ratio estimate of a study, shaped for R meta::metagen (log_hr, se_log_hr); "
                   "included = 1 marks each study's estimate per question.",
    "columns": {**_ESTIMATE_COLUMNS, "se_derivation": "How se_log_hr was derived from the printed CI.",
                "has_ci": "0: no CI printed; the SE is left empty, never guessed.",
                "experimental_arm": "The comparison's experimental arm (the paper's arm label when one matches).",
                "control_arm": "The comparison's control (reference) arm.",
                "inverted": "1: printed as control vs experimental, so log_hr = -ln hr (the pool's direction).",
                "log_hr": "ln hr, experimental vs control (negated when inverted = 1): R meta::metagen's TE.",
                "se_log_hr": "SE of log_hr from the printed CI: R meta::metagen's seTE."},
    "facets": ["included"],
}
META_PROPORTIONS_METADATA: dict[str, Any] = {
    "description": "One row per proportion estimate of a study (responders over a denominator), shaped for R "
                   "meta::metaprop; included = 1 marks each study's estimate per question.",
    "columns": {**_ESTIMATE_COLUMNS,
                "denominator_source": "Where n comes from: printed with the number, or the paper's one stated "
                                      "evaluable count (population n_evaluable, with its quote)."},
    "facets": ["included"],
}


# Canned queries with parameters: the questions a meta-analyst asks across trials.
# The terms containing the text are found among the distinct terms (read from the term index one seek at a time:
# a few hundred, not a row per adverse event), then their rows through that index, in term order, so the first
# rows come without reading every match (Datasette shows the first 1,000). `+a.grade` keeps SQLite from reading
# every grade-3 row through the grade index instead. The rows are those of `grade in (...) and term like
# '%' || :term || '%'`: a row's term is one of the distinct terms, and LIKE is applied to the same values.
ADVERSE_EVENTS_BY_TERM_SQL = (
    "with recursive terms(term) as (select min(term) from adverse_events union all "
    "select (select min(term) from adverse_events where term > terms.term) from terms where terms.term is not null) "
    "select p.label as study, a.term, a.grade, a.arm, a.n, a.of, a.percent, a.quote "
    "from adverse_events a join papers p on p.paper_id = a.paper_id "
    "where a.term in (select term from terms where term like '%' || :term || '%') "
    "and +a.grade in ('3', '4', '3-4', '>=3', '5') "
    "order by a.term, study, a.id")

QUERIES: dict[str, dict[str, Any]] = {
    "search": SEARCH_QUERY,
    "response_rates": {
        "title": "Response rates for a drug and outcome across trials",
        "description": "Responders and denominators (Wilson 95% CI) of papers whose regimens include the drug; "
                       "included = 1 marks each study's estimate (the selection rule), else excluded_reason says why.",
        "sql": ("select study, trial_id, arm, outcome, events, n, round(proportion, 4) as proportion, "
                "round(ci_low, 4) as ci_low, round(ci_high, 4) as ci_high, quote, study_id, n_sources, "
                "denominator_source, included, excluded_reason from meta_proportions "
                "where events is not null and outcome = :outcome "
                "and paper_id in (select paper_id from regimens where drug = :drug) "
                "order by study, arm"),
    },
    "hazard_ratios_for_endpoint": {
        "title": "Hazard ratios for an endpoint",
        "description": "Every hazard-ratio estimate of the endpoint with its CI, log HR and SE for meta::metagen; "
                       "included = 1 marks each study's estimate (the selection rule), else excluded_reason says why.",
        "sql": ("select study, trial_id, endpoint, comparison, hr, ci_low, ci_high, ci_level, log_hr, se_log_hr, "
                "se_derivation, has_ci, adjusted, p, quote, study_id, n_sources, analysis, included, excluded_reason "
                "from meta_hazard_ratios where endpoint = :endpoint "
                "order by study, record_id"),
    },
    "grade3_adverse_events_by_term": {
        "title": "Grade 3 or higher adverse events by term across trials",
        "description": "Adverse events of grade 3, 4, 3-4, >=3 or 5 whose term contains the text given.",
        "sql": ADVERSE_EVENTS_BY_TERM_SQL,
    },
    "mtd_and_dlts_by_drug": {
        "title": "MTDs and DLTs by drug",
        "description": "Maximum tolerated and recommended phase 2 doses of a drug, with each paper's dose-limiting toxicities.",
        "sql": ("select p.label as study, m.dose_kind, m.drug, m.dose, m.unit, m.frequency, "
                "(select group_concat(d.term, '; ') from dlts d where d.paper_id = m.paper_id) as dlts, m.quote "
                "from mtds m join papers p on p.paper_id = m.paper_id where m.drug = :drug order by study"),
    },
}


def _is_vocabulary(annotation: Any) -> bool:
    """True for a Literal field, optional or not: a controlled vocabulary worth a facet."""
    if get_origin(annotation) is Literal:
        return True
    return any(get_origin(arg) is Literal for arg in get_args(annotation))


def evidence_facets(kind: str) -> list[str]:
    """Facets of a record kind's table: its vocabulary fields, its categorical text fields, section, rule."""
    model = RECORD_MODELS[kind]
    fields = [
        name for name, info in model.model_fields.items()
        if name != "kind" and (_is_vocabulary(info.annotation) or name in CATEGORICAL_TEXT_FIELDS)
    ]
    return [*fields, *EVIDENCE_FACETS]


def table_metadata(spec: TableSpec, options: dict[str, Any]) -> dict[str, Any]:
    """One table's metadata: description, column descriptions and the given Datasette options."""
    note = options.get("facets_note")
    return {
        "description": spec.description + (f" {note}" if note else ""),
        "columns": {column.name: column.description for column in spec.columns},
        **{key: value for key, value in options.items() if key != "facets_note"},
    }


def table_options() -> dict[str, dict[str, Any]]:
    """Datasette options (sort, label column, default facets) of every table of the schema."""
    evidence_tables = {spec.name: kind for kind, spec in evidence_specs().items()}
    options = {}
    for spec in all_specs():
        if spec.name in evidence_tables:
            # Sorting by paper keeps each paper's facts together.
            options[spec.name] = {"sort": "paper_id",
                                  "facets": [*evidence_facets(evidence_tables[spec.name]), "curation"]}
        else:
            options[spec.name] = TABLE_OPTIONS[spec.name]
    return options


def facet_columns() -> dict[str, list[str]]:
    """Table -> the columns offered as facets: the build indexes them, so a facet counts from an index."""
    return {name: list(opts["facets"]) for name, opts in table_options().items() if opts.get("facets")}


def _without_default_facets(options: dict[str, Any], rows: int) -> dict[str, Any]:
    kept = {key: value for key, value in options.items() if key != "facets"}
    columns = ", ".join(options["facets"])
    kept["facets_note"] = (f"{rows:,} rows: facets ({columns}) are not counted on every page of a table "
                           f"this large; add ?_facet=COLUMN to count one.")
    return kept


def build_metadata(database: str = "evidence", row_counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Datasette metadata for a trial-evidence database served under the name ``database``.

    ``row_counts`` (table -> rows) turns the default facets off on tables of more
    than FACET_MAX_ROWS rows: Datasette counts every default facet on every page,
    which on a table of a million rows takes longer than the page itself.
    """
    tables: dict[str, Any] = {}
    for spec in all_specs():
        options = table_options()[spec.name]
        rows = (row_counts or {}).get(spec.name, 0)
        if rows > FACET_MAX_ROWS and options.get("facets"):
            options = _without_default_facets(options, rows)
        tables[spec.name] = table_metadata(spec, options)
    tables["trials"] = TRIALS_METADATA
    tables[PAPER_SOURCES] = PAPER_SOURCES_METADATA
    tables[ARTICLES_VIEW] = ARTICLES_METADATA
    tables[STUDIES] = STUDIES_METADATA
    tables[META_HAZARD_RATIOS] = META_HAZARD_RATIOS_METADATA
    tables[META_PROPORTIONS] = META_PROPORTIONS_METADATA
    tables[FACET_COUNTS] = FACET_COUNTS_METADATA
    tables[FILE_STATS], tables[BUILD_STATE] = FILE_STATS_METADATA, BUILD_STATE_METADATA
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "license": LICENSE,
        "source": SOURCE,
        "databases": {
            database: {
                "description": "Papers, their sections and tables, and the evidence records read from them.",
                "tables": tables,
                "queries": QUERIES,
            },
        },
    }
