"""The diseases a paper names in its title or abstract, from the word list publish/disease_words.yaml."""

import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

import yaml
from pydantic import RootModel, field_validator
from sqlite_utils import Database


class DiseaseWords(RootModel[dict[str, list[str]]]):
    """publish/disease_words.yaml: disease -> the phrases naming it (each disease at least one)."""

    @field_validator("root")
    @classmethod
    def _phrases(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [disease for disease, phrases in value.items() if not phrases or not all(p.strip() for p in phrases)]
        if empty:
            raise ValueError(f"diseases without phrases: {empty}")
        return value


@cache
def disease_patterns() -> dict[str, re.Pattern[str]]:
    """Disease -> one case-insensitive whole-word pattern of its phrases (longest first)."""
    text = files("publish").joinpath("disease_words.yaml").read_text(encoding="utf-8")
    words = DiseaseWords.model_validate(yaml.safe_load(text)).root
    return {disease: re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
                                + r")(?![\w-])", re.IGNORECASE)
            for disease, phrases in words.items()}


def diseases_in(text: str) -> set[str]:
    """The diseases a text names."""
    return {disease for disease, pattern in disease_patterns().items() if pattern.search(text)}


def paper_diseases(db: Database, paper_ids: Iterable[str]) -> dict[str, set[str]]:
    """paper_id -> the diseases its title or abstract names, for the given papers (those naming none left out)."""
    wanted = sorted(set(paper_ids))
    texts: dict[str, list[str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.query(f"select paper_id, title from papers where paper_id in ({marks})", chunk):
            texts.setdefault(r["paper_id"], []).append(r["title"] or "")
        if "sections" in db.table_names():
            for r in db.query(f"select paper_id, text from sections where label = 'abstract' and paper_id in ({marks})",
                              chunk):
                texts.setdefault(r["paper_id"], []).append(r["text"] or "")
    found = {paper_id: diseases_in("\n".join(parts)) for paper_id, parts in texts.items()}
    return {paper_id: diseases for paper_id, diseases in found.items() if diseases}
