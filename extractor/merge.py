"""Records stating one fact more than once merged into one: no spaCy here, so a process that only writes never loads it."""

from schemas import EvidenceRecord


def merge_duplicates(records: list[EvidenceRecord]) -> list[EvidenceRecord]:
    """One record per fact; a fact found in several places keeps every place as provenance."""
    merged: dict[tuple[object, ...], EvidenceRecord] = {}
    for record in records:
        key = (record.kind, record.key())
        if key in merged:
            kept = merged[key]
            spans = {(p.start, p.end) for p in kept.provenance}
            kept.provenance.extend(p for p in record.provenance if (p.start, p.end) not in spans)
        else:
            merged[key] = record
    return list(merged.values())
