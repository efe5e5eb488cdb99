from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class TrainingCompleted:
    type: ClassVar[str] = "capability.training_completed"
    staff_number: str
    agency_code: str
    skill: str
    completed_on: str


@dataclass(frozen=True)
class SystemHostingChanged:
    type: ClassVar[str] = "capability.system_hosting_changed"
    code: str
    agency_code: str
    hosting: str
    on: str


@dataclass(frozen=True)
class ProjectDataShared:
    type: ClassVar[str] = "capability.project_data_shared"
    code: str
    agency_codes: list[str]
    working_days: int
