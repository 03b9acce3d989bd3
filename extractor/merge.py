"""Records stating one fact more than once merged into one: no spaCy here, so a process that only writes never loads it."""

from schemas import EvidenceRecord

# Kinds whose values a sentence may give with their arm and another sentence without it.
ARMED_KINDS = frozenset({"response", "time_to_event", "mortality"})


def merge_duplicates(records: list[EvidenceRecord]) -> list[EvidenceRecord]:
    """One record per fact; a fact found in several places keeps every place as provenance."""
    merged: dict[tuple[object, ...], EvidenceRecord] = {}
    for record in records:
        key = (record.kind, record.key())
        if key in merged:
            _add_places(merged[key], record)
        else:
            merged[key] = record
    return _fold_unarmed(list(merged.values()))


def _add_places(kept: EvidenceRecord, record: EvidenceRecord) -> None:
    spans = {(p.start, p.end) for p in kept.provenance}
    kept.provenance.extend(p for p in record.provenance if (p.start, p.end) not in spans)


def _fold_unarmed(records: list[EvidenceRecord]) -> list[EvidenceRecord]:
    """A value printed once with its arm ("15.1 months in arm B") and once without ("22.7 and 15.1
    months") is one fact: the copy without an arm joins the one armed record equal to it but for the
    arm. With two armed records equal to it (both arms 93%) it stays apart: which arm it is cannot be told."""
    armed: dict[tuple[object, ...], list[EvidenceRecord]] = {}
    for record in records:
        if record.kind in ARMED_KINDS and getattr(record, "arm", None):
            armed.setdefault(_unarmed_key(record), []).append(record)
    kept: list[EvidenceRecord] = []
    for record in records:
        if record.kind in ARMED_KINDS and getattr(record, "arm", None) is None:
            candidates = armed.get(_unarmed_key(record), [])
            if len(candidates) == 1:
                _add_places(candidates[0], record)
                continue
        kept.append(record)
    return kept


def _unarmed_key(record: EvidenceRecord) -> tuple[object, ...]:
    return (record.kind, record.model_copy(update={"arm": None}).key())
