"""Rule components, one module per evidence kind; each exposes functions over a Sentence.

``COMPONENTS`` maps a spaCy component name to the extractor function it wraps, in
pipeline order. A function takes a ``Sentence`` (prose sentence or table row of
the paper's own trial) and returns the records it finds there.
"""

from collections.abc import Callable, Iterable

from extractor.components.design import extract_design, extract_phase, infer_phase_one, infer_single_arm
from extractor.components.dose_finding import extract_dlts, extract_mtd
from extractor.components.hazard_ratio import extract_hazard_ratios
from extractor.components.mortality import extract_mortality
from extractor.components.population import extract_population
from extractor.components.regimen import extract_regimens, reads_cited_methods
from extractor.components.registry import extract_registry_ids
from extractor.components.response import extract_responses
from extractor.components.survival import extract_time_to_event
from extractor.components.toxicity import extract_adverse_events
from extractor.sentence import Sentence
from schemas import Document, EvidenceRecord

Extractor = Callable[[Sentence], Iterable[EvidenceRecord]]
DocumentRule = Callable[[Document, list[EvidenceRecord]], list[EvidenceRecord]]

COMPONENTS: dict[str, Extractor] = {
    "registry_ids": extract_registry_ids,
    "trial_phase": extract_phase,
    "trial_design": extract_design,
    "population": extract_population,
    "regimens": extract_regimens,
    "responses": extract_responses,
    "time_to_event": extract_time_to_event,
    "hazard_ratios": extract_hazard_ratios,
    "mtd": extract_mtd,
    "dlts": extract_dlts,
    "adverse_events": extract_adverse_events,
    "mortality": extract_mortality,
}

# Components that also read a sentence the own-trial filter drops for its citation when the predicate holds:
# a methods sentence giving the trial's regimen and citing the regimen's source after its doses.
CITED_SOURCE_READERS: dict[str, Callable[[Sentence], bool]] = {"regimens": reads_cited_methods}

# Rules over a whole paper's records, run after the sentence components.
DOCUMENT_RULES: tuple[DocumentRule, ...] = (infer_phase_one, infer_single_arm)
