"""The one strict base model every schema derives from."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are an error; values are not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)
