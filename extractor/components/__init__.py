"""Rule components, one module per evidence kind; each exposes functions over a Sentence.

``COMPONENTS`` maps a spaCy component name to the extractor function it wraps, in
pipeline order. A function takes a ``Sentence`` (prose sentence or table row of
the paper's own trial) and returns the records it finds there.
"""

from collections.abc import Callable, Iterable

from extractor.components.design import extract_design, extract_phase
from extractor.components.population import extract_population
from extractor.components.registry import extract_registry_ids
from extractor.sentence import Sentence
from schemas import EvidenceRecord

Extractor = Callable[[Sentence], Iterable[EvidenceRecord]]

COMPONENTS: dict[str, Extractor] = {
    "registry_ids": extract_registry_ids,
    "trial_phase": extract_phase,
    "trial_design": extract_design,
    "population": extract_population,
}
