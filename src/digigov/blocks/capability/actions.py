"""Writes to the capability records: officers and their training, the system inventory, cross-agency projects."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from digigov.blocks.audit.actions import entry_record
from digigov.blocks.capability.events import ProjectDataShared, SystemHostingChanged, TrainingCompleted
from digigov.blocks.capability.models import DataProject, Hosting, ProjectKind, Skill, StaffMember, System, Training
from digigov.blocks.capability.queries import CLASSIFICATIONS, working_days_between
from digigov.platform.errors import NotFound, ValidationFailed
from digigov.platform.outbox import publish

# Which first-certified date a completed course sets: data science includes the analytics skills.
_SKILL_DATE = {
    Skill.DIGITAL_LITERACY: "digital_literacy_on",
    Skill.DATA_ANALYTICS: "data_analytics_on",
    Skill.DATA_SCIENCE: "data_analytics_on",
}


def _require(fields: dict[str, str]) -> None:
    if fields:
        raise ValidationFailed(fields=fields)


@transaction.atomic
def staff_member_record(*, actor: Any, staff_number: str, agency_code: str, joined_on: dt.date) -> StaffMember:
    _require(
        {
            name: "Enter a value."
            for name, value in (("staff_number", staff_number), ("agency_code", agency_code))
            if not value.strip()
        }
    )
    if StaffMember.objects.filter(staff_number=staff_number).exists():
        raise ValidationFailed(fields={"staff_number": "This staff number is already recorded."})
    member = StaffMember.objects.create(
        staff_number=staff_number.strip(), agency_code=agency_code.strip(), joined_on=joined_on
    )
    entry_record(
        actor=actor,
        action="capability:staff:record",
        object_type="staff_member",
        object_id=member.pk,
        detail={"agency_code": member.agency_code},
    )
    return member


def _member(staff_number: str) -> StaffMember:
    try:
        return StaffMember.objects.select_for_update().get(staff_number=staff_number)
    except StaffMember.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def staff_member_leave(*, actor: Any, staff_number: str, left_on: dt.date) -> StaffMember:
    member = _member(staff_number)
    if left_on < member.joined_on:
        raise ValidationFailed(fields={"left_on": "An officer cannot leave before joining."})
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    entry_record(
        actor=actor,
        action="capability:staff:leave",
        object_type="staff_member",
        object_id=member.pk,
        detail={"left_on": left_on.isoformat()},
    )
    return member


@transaction.atomic
def training_record(*, actor: Any, staff_number: str, skill: str, course: str, completed_on: dt.date) -> Training:
    """Record a passed course; the officer's first-certified date for the skill moves earlier if need be."""
    _require(
        {
            **({"skill": "Choose a skill from the list."} if skill not in Skill.values else {}),
            **({"course": "Enter the course name."} if not course.strip() else {}),
        }
    )
    member = _member(staff_number)
    training = Training.objects.create(
        staff_member=member, skill=skill, course=course.strip(), completed_on=completed_on
    )
    attribute = _SKILL_DATE[Skill(skill)]
    if getattr(member, attribute) is None or completed_on < getattr(member, attribute):
        setattr(member, attribute, completed_on)
        member.save(update_fields=[attribute])
    entry_record(
        actor=actor,
        action="capability:training:record",
        object_type="training",
        object_id=training.pk,
        detail={"skill": skill, "completed_on": completed_on.isoformat()},
    )
    publish(
        TrainingCompleted(
            staff_number=member.staff_number,
            agency_code=member.agency_code,
            skill=skill,
            completed_on=completed_on.isoformat(),
        )
    )
    return training


@transaction.atomic
def system_record(
    *,
    actor: Any,
    code: str,
    name: str,
    agency_code: str,
    classification: str,
    hosting: str,
    commissioned_on: dt.date,
    commercial_cloud_since: dt.date | None = None,
) -> System:
    fields = {}
    if classification not in CLASSIFICATIONS:
        fields["classification"] = "Use open, restricted, confidential or sensitive."
    if hosting not in Hosting.values:
        fields["hosting"] = "Choose where the system runs."
    if (hosting == Hosting.COMMERCIAL_CLOUD) != (commercial_cloud_since is not None):
        fields["commercial_cloud_since"] = "Give the date it moved to commercial cloud, and only then."
    if not code.strip() or not name.strip():
        fields["code" if not code.strip() else "name"] = "Enter a value."
    elif System.objects.filter(code=code).exists():
        fields["code"] = "This system code is already recorded."
    _require(fields)
    system = System.objects.create(
        code=code.strip(),
        name=name.strip(),
        agency_code=agency_code,
        classification=classification,
        hosting=hosting,
        commissioned_on=commissioned_on,
        commercial_cloud_since=commercial_cloud_since,
    )
    entry_record(
        actor=actor,
        action="capability:system:record",
        object_type="system",
        object_id=system.pk,
        detail={"hosting": hosting, "classification": classification},
    )
    return system


@transaction.atomic
def system_hosting_change(*, actor: Any, code: str, hosting: str, on: dt.date) -> System:
    """Move a system, e.g. to commercial cloud; a sensitive system may not go there."""
    try:
        system = System.objects.select_for_update().get(code=code)
    except System.DoesNotExist:
        raise NotFound() from None
    if hosting not in Hosting.values:
        raise ValidationFailed(fields={"hosting": "Choose where the system runs."})
    if hosting == Hosting.COMMERCIAL_CLOUD and system.classification not in CLASSIFICATIONS[:3]:
        raise ValidationFailed(fields={"hosting": "Sensitive systems are not eligible for commercial cloud."})
    system.hosting = hosting
    system.commercial_cloud_since = on if hosting == Hosting.COMMERCIAL_CLOUD else None
    system.save(update_fields=["hosting", "commercial_cloud_since"])
    entry_record(
        actor=actor,
        action="capability:system:hosting",
        object_type="system",
        object_id=system.pk,
        detail={"hosting": hosting, "on": on.isoformat()},
    )
    publish(SystemHostingChanged(code=system.code, agency_code=system.agency_code, hosting=hosting, on=on.isoformat()))
    return system


@transaction.atomic
def project_record(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    agency_codes: Sequence[str],
    started_on: dt.date,
    data_requested_on: dt.date | None = None,
) -> DataProject:
    """A cross-agency project: at least two agencies, the first of them leading."""
    fields = {}
    agencies = list(dict.fromkeys(code.strip() for code in agency_codes if code.strip()))
    if len(agencies) < 2:
        fields["agency_codes"] = "A cross-agency project has at least two agencies."
    if kind not in ProjectKind.values:
        fields["kind"] = "Choose AI or data analytics."
    if not code.strip() or not name.strip():
        fields["code" if not code.strip() else "name"] = "Enter a value."
    elif DataProject.objects.filter(code=code).exists():
        fields["code"] = "This project code is already recorded."
    _require(fields)
    project = DataProject.objects.create(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        lead_agency_code=agencies[0],
        agency_codes=agencies,
        started_on=started_on,
        data_requested_on=data_requested_on,
    )
    entry_record(
        actor=actor,
        action="capability:project:record",
        object_type="data_project",
        object_id=project.pk,
        detail={"agencies": agencies},
    )
    return project


@transaction.atomic
def project_data_shared(
    *, actor: Any, code: str, requested_on: dt.date | None = None, shared_on: dt.date
) -> DataProject:
    """The fused core data reached the project team; the working days since it was asked for are kept."""
    try:
        project = DataProject.objects.select_for_update().get(code=code)
    except DataProject.DoesNotExist:
        raise NotFound() from None
    requested = requested_on or project.data_requested_on
    if requested is None:
        raise ValidationFailed(fields={"requested_on": "Say when the data was asked for."})
    if shared_on < requested:
        raise ValidationFailed(fields={"shared_on": "Data cannot be shared before it was asked for."})
    project.data_requested_on, project.data_shared_on = requested, shared_on
    project.fusion_working_days = working_days_between(start=requested, end=shared_on)
    project.save(update_fields=["data_requested_on", "data_shared_on", "fusion_working_days"])
    entry_record(
        actor=actor,
        action="capability:project:data_shared",
        object_type="data_project",
        object_id=project.pk,
        detail={"working_days": project.fusion_working_days},
    )
    publish(
        ProjectDataShared(
            code=project.code, agency_codes=list(project.agency_codes), working_days=project.fusion_working_days
        )
    )
    return project


@transaction.atomic
def records_load(
    *, staff: Sequence[dict], trainings: Sequence[dict], systems: Sequence[dict], projects: Sequence[dict]
) -> dict[str, int]:
    """Bulk load of synthetic records for a seeded nation (one audit entry for the load, not one per row).
    Trainings name their officer by `staff_number`."""
    StaffMember.objects.bulk_create([StaffMember(**row) for row in staff], batch_size=5000)
    ids = dict(StaffMember.objects.values_list("staff_number", "id"))
    Training.objects.bulk_create(
        [
            Training(
                staff_member_id=ids[row["staff_number"]],
                skill=row["skill"],
                course=row["course"],
                completed_on=row["completed_on"],
            )
            for row in trainings
        ],
        batch_size=5000,
    )
    System.objects.bulk_create([System(**row) for row in systems], batch_size=5000)
    DataProject.objects.bulk_create(
        [
            DataProject(
                **row,
                fusion_working_days=working_days_between(start=row["data_requested_on"], end=row["data_shared_on"])
                if row.get("data_shared_on")
                else None,
            )
            for row in projects
        ],
        batch_size=5000,
    )
    counts = {"staff": len(staff), "trainings": len(trainings), "systems": len(systems), "projects": len(projects)}
    entry_record(
        actor=None, action="capability:records:load", object_type="capability", object_id="synthetic", detail=counts
    )
    return counts
