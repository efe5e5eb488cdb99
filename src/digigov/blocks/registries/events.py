"""Events the registries publish. They carry identifiers only: a subscriber that needs a record's content reads
it through the registries' queries, which record the read."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class RegistryDatabaseChanged:
    type: ClassVar[str] = "registries.database.changed"
    database_id: int
    code: str
    version: str
    agency_code: str
    change: str  # created / modified / deleted


@dataclass(frozen=True)
class RegistryRecordChanged:
    type: ClassVar[str] = "registries.record.changed"
    database_id: int
    record_id: str  # the record's UUID; never its key, which may be personal data
    change: str  # created / updated / deleted
