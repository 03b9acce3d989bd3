"""A meta-analyst's question: what to pool (an endpoint or an outcome), narrowed by drug, disease, comparator and
analysis set, with studies left out by hand; its URL parameters, its facets (values present, with study counts)
and its pool.

Every state of the question is a URL (``/-/pool?endpoint=OS&drug=capecitabine&exclude=NCT00824785``), so a
permalink reproduces the page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlencode

from sqlite_utils import Database

from publish.diseases import paper_diseases
from publish.estimates import ANALYSIS_REASON
from publish.meta_analysis import META_HAZARD_RATIOS, META_PROPORTIONS, pool_hazard_ratios, pool_proportions

Kind = Literal["endpoint", "outcome"]
TRUE = ("1", "true", "yes", "on")
# At most this many values per facet are offered (most studies first); a facet of more is cut, and says so.
MAX_FACET_VALUES = 40


@dataclass(frozen=True)
class Question:
    """What to pool: ``kind`` endpoint (hazard ratios) or outcome (proportions) and its ``value``; estimates of
    papers giving ``drug``, of papers naming ``disease`` (publish/disease_words.yaml); of ``comparator`` (the
    HR's comparison text); of one ``analysis`` set; ``subgroups`` lets subgroup and prognostic estimates in; the
    studies in ``exclude`` are left out of the pool."""

    kind: Kind = "endpoint"
    value: str = "OS"
    subgroups: bool = False
    drug: str | None = None
    disease: str | None = None
    comparator: str | None = None
    analysis: str | None = None
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, get: Callable[[str], str | None], getlist: Callable[[str], list[str]]) -> "Question":
        """The question of a request's parameters (``request.args.get``/``getlist``); unknown values simply
        match nothing. A form's ``shown``/``keep`` pair (ticked studies stay in) becomes ``exclude``."""
        outcome = get("outcome")
        kind: Kind = "outcome" if outcome else "endpoint"
        exclude = set(getlist("exclude"))
        if getlist("shown"):
            exclude = (exclude | set(getlist("shown"))) - set(getlist("keep"))
        return cls(kind=kind, value=outcome or get("endpoint") or "OS",
                   subgroups=(get("subgroups") or "") in TRUE, drug=get("drug") or None,
                   disease=get("disease") or None,
                   comparator=(get("comparator") or None) if kind == "endpoint" else None,
                   analysis=get("analysis") or None, exclude=tuple(sorted(exclude)))

    @property
    def lets_subgroups_in(self) -> bool:
        """Asking for the subgroup or prognostic set lets those estimates in."""
        return self.subgroups or self.analysis in ANALYSIS_REASON

    def params(self) -> list[tuple[str, str]]:
        """The URL parameters, in one order: the permalink and the cache key."""
        out = [(self.kind, self.value)]
        out += [(name, value) for name, value in (("drug", self.drug), ("disease", self.disease),
                                                  ("comparator", self.comparator),
                                                  ("analysis", self.analysis)) if value]
        out += [("subgroups", "1")] if self.subgroups else []
        return out + [("exclude", study_id) for study_id in self.exclude]

    def query(self) -> str:
        return urlencode(self.params())

    def form_fields(self) -> list[tuple[str, str]]:
        """The parameters a form of the page keeps as hidden fields (everything but the studies left out)."""
        return [(name, value) for name, value in self.params() if name != "exclude"]

    @property
    def ratio(self) -> bool:
        return self.kind == "endpoint"


def drug_papers(db: Database, drug: str) -> set[str]:
    """The papers whose regimens name the drug (curators' rejections left out, corrections applied)."""
    if "regimens" not in db.table_names():
        return set()
    return {r["paper_id"] for r in db.query(
        "select paper_id from regimens where coalesce(json_extract(corrected_values, '$.drug'), drug) = ? "
        "and coalesce(curation, '') != 'rejected'", [drug])}


def paper_drugs(db: Database, paper_ids: Iterable[str]) -> dict[str, set[str]]:
    """paper_id -> the drugs its regimens name, for the given papers."""
    wanted, out = set(paper_ids), {}
    if "regimens" not in db.table_names() or not wanted:
        return {}
    for r in db.query("select paper_id, coalesce(json_extract(corrected_values, '$.drug'), drug) as drug "
                      "from regimens where coalesce(curation, '') != 'rejected'"):
        if r["paper_id"] in wanted and r["drug"]:
            out.setdefault(r["paper_id"], set()).add(r["drug"])
    return out


@dataclass(frozen=True)
class Narrowing:
    """The papers a question's drug and disease keep (None: that choice is not made)."""

    drug: set[str] | None = None
    disease: set[str] | None = None

    @classmethod
    def of(cls, db: Database, question: Question) -> "Narrowing":
        diseases = None
        if question.disease:
            named = paper_diseases(db, _meta_paper_ids(db))
            diseases = {paper_id for paper_id, found in named.items() if question.disease in found}
        return cls(drug_papers(db, question.drug) if question.drug else None, diseases)


def _meta_paper_ids(db: Database) -> set[str]:
    return {r["paper_id"] for table in (META_HAZARD_RATIOS, META_PROPORTIONS) if table in db.table_names()
            for r in db.query(f"select distinct paper_id from [{table}]")}


def _keep(question: Question, papers: Narrowing, skip: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """The filter of the question's narrowing choices (all but ``skip``, for that facet's counts)."""
    def keep(row: dict[str, Any]) -> bool:
        if skip != "drug" and papers.drug is not None and row["paper_id"] not in papers.drug:
            return False
        if skip != "disease" and papers.disease is not None and row["paper_id"] not in papers.disease:
            return False
        if skip != "comparator" and question.comparator and row.get("comparison") != question.comparator:
            return False
        return skip == "analysis" or not question.analysis or row["analysis"] == question.analysis
    return keep


def pool_question(db: Database, question: Question) -> dict[str, Any]:
    """The pool of the question (``pool_hazard_ratios`` / ``pool_proportions`` narrowed and with studies left
    out), with its ``question`` parameters and ``facets``."""
    papers = Narrowing.of(db, question)
    pool = pool_hazard_ratios if question.ratio else pool_proportions
    result = pool(db, question.value, subgroups=question.lets_subgroups_in, keep=_keep(question, papers),
                  leave_out=frozenset(question.exclude))
    result["question"] = {"kind": question.kind, "value": question.value, "drug": question.drug,
                          "disease": question.disease,
                          "comparator": question.comparator, "analysis": question.analysis,
                          "subgroups": question.subgroups, "exclude": list(question.exclude)}
    result["facets"] = facets(db, question, papers)
    return result


def _eligible(row: dict[str, Any], question: Question, any_analysis: bool = False) -> bool:
    """An estimate a pool could take: no problem (a CI or denominator, not rejected), of an analysis set let in."""
    return row["problem"] is None and (any_analysis or question.lets_subgroups_in
                                       or row["analysis"] not in ANALYSIS_REASON)


def _rows(db: Database, table: str, column: str, value: str | None = None) -> list[dict[str, Any]]:
    if table not in db.table_names() or "problem" not in db.table(table).columns_dict:
        return []
    where, args = (f"where [{column}] = ?", [value]) if value is not None else ("", [])
    return [dict(r) for r in db.query(f"select * from [{table}] {where}", args)]


def _counted(values: dict[str, set[str]], name: str, chosen: str | None, change: Callable[[str], Question],
             unchosen: Question | None = None) -> dict[str, Any]:
    """A facet: each value with its study count and the URL choosing it (the chosen one's URL removes the choice,
    when ``unchosen`` is given)."""
    ordered = sorted(values.items(), key=lambda item: (-len(item[1]), item[0]))
    entries = [{"value": value, "count": len(studies), "selected": value == chosen,
                "href": f"/-/pool?{(unchosen if value == chosen and unchosen else change(value)).query()}"}
               for value, studies in ordered[:MAX_FACET_VALUES]]
    return {"name": name, "values": entries, "truncated": len(ordered) > MAX_FACET_VALUES}


def facets(db: Database, question: Question, papers: Narrowing) -> list[dict[str, Any]]:
    """The choices of the question page, each value present among the eligible estimates with how many studies
    have one (under the question's other choices): endpoint, outcome, drug, disease, comparator (hazard ratios),
    analysis."""
    out = []
    for kind, table in (("endpoint", META_HAZARD_RATIOS), ("outcome", META_PROPORTIONS)):
        keep = _keep(replace(question, comparator=None), papers)
        values: dict[str, set[str]] = {}
        for row in _rows(db, table, kind):
            if row[kind] and keep(row) and _eligible(row, question):
                values.setdefault(row[kind], set()).add(row["study_id"])
        chosen = question.value if question.kind == kind else None
        out.append(_counted(values, kind, chosen, lambda v, kind=kind: replace(
            question, kind=kind, value=v, comparator=None)))
    table = META_HAZARD_RATIOS if question.ratio else META_PROPORTIONS
    rows = _rows(db, table, question.kind, question.value)
    named = {"drug": paper_drugs(db, (r["paper_id"] for r in rows)),
             "disease": paper_diseases(db, (r["paper_id"] for r in rows))}
    narrowing: dict[str, dict[str, set[str]]] = {"drug": {}, "disease": {}, "comparator": {}, "analysis": {}}
    for row in rows:
        for name in ("drug", "disease"):
            if _keep(question, papers, skip=name)(row) and _eligible(row, question):
                for value in named[name].get(row["paper_id"], ()):
                    narrowing[name].setdefault(value, set()).add(row["study_id"])
        if question.ratio and row["comparison"] and _keep(question, papers, skip="comparator")(row) \
                and _eligible(row, question):
            narrowing["comparator"].setdefault(row["comparison"], set()).add(row["study_id"])
        if _keep(question, papers, skip="analysis")(row) and _eligible(row, question, any_analysis=True):
            narrowing["analysis"].setdefault(row["analysis"], set()).add(row["study_id"])
    for name in ("drug", "disease", "comparator", "analysis") if question.ratio else ("drug", "disease", "analysis"):
        out.append(_counted(narrowing[name], name, getattr(question, name),
                            lambda v, name=name: replace(question, **{name: v}), replace(question, **{name: None})))
    return out
