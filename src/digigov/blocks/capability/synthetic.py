"""Synthetic capability records for a seeded nation: a workforce in proportion to the population, three years of
digital-literacy and analytics training, a system inventory moving to commercial cloud, and cross-agency
projects whose data fusion gets quicker. Deterministic for a seed (dates count back from today)."""

import datetime as dt
import random

from django.utils import timezone

from digigov.blocks.capability import actions
from digigov.blocks.capability.models import DataProject
from digigov.blocks.capability.queries import CLOUD_ELIGIBLE, working_days_between

# The Blueprint's public service: about 145,000 officers for about 5.9 million residents.
OFFICERS_PER_RESIDENT = 145_000 / 5_900_000
MIN_STAFF = 400  # small demo nations still get shares worth reading
YEARS = 3
SYSTEMS_PER_AGENCY = 12
PROJECTS_PER_YEAR = 11
_CLASSIFICATION_WEIGHTS = {"open": 15, "restricted": 35, "confidential": 35, "sensitive": 15}
_PROJECT_THEMES = (
    "Early intervention for vulnerable families",
    "Fraud detection in transfers",
    "Housing demand forecast",
    "Job-matching for mid-career switchers",
    "Town maintenance triage",
    "Retirement adequacy model",
    "Business licence risk scoring",
    "Childcare capacity planning",
    "Chatbot for service enquiries",
    "Dropout risk in skills courses",
    "Flood-risk estates map",
    "Benefit take-up nudges",
)


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


def _working_day_after(start: dt.date, days: int) -> dt.date:
    end = start
    while working_days_between(start=start, end=end) < days:
        end += dt.timedelta(days=1)
    return end


def capability_seed(*, residents: int, seed: int, agency_codes: list[str] | None = None) -> dict[str, int]:
    """Create the records unless some exist (idempotent); returns what was created."""
    if DataProject.objects.exists():
        return {}
    if agency_codes is None:
        from digigov.blocks.registries.queries import agency_list

        agency_codes = [agency.code for agency in agency_list()]
    if not agency_codes:
        return {}
    rng = random.Random(f"capability:{seed}")  # noqa: S311 (synthetic records, not security)
    today = timezone.localdate()
    programme_start = today - dt.timedelta(days=365 * YEARS)
    staff, trainings = [], []
    for number in range(max(MIN_STAFF, round(residents * OFFICERS_PER_RESIDENT))):
        agency = rng.choice(agency_codes)
        joined = today - dt.timedelta(days=int(rng.expovariate(1 / 3000)) + 1)
        left = _day(rng, max(joined, programme_start), today) if rng.random() < 0.12 else None
        staff_number = f"PS{number + 1:07d}"
        staff.append({"staff_number": staff_number, "agency_code": agency, "joined_on": joined, "left_on": left})
        last = left or today
        first = max(joined, programme_start)
        # Literacy: most officers certified over the programme, new joiners within months of joining.
        if rng.random() < 0.93 and first <= last:
            done = _day(rng, first, min(last, first + dt.timedelta(days=int(rng.uniform(30, 900)))))
            trainings.append(
                {
                    "staff_number": staff_number,
                    "skill": "digital_literacy",
                    "course": "Digital essentials for public officers",
                    "completed_on": done,
                }
            )
            staff[-1]["digital_literacy_on"] = done
            # Analytics: a growing minority, later in the programme; a few go on to data science.
            if rng.random() < 0.14:
                analytics = _day(rng, done, last)
                trainings.append(
                    {
                        "staff_number": staff_number,
                        "skill": "data_analytics",
                        "course": "Data analytics foundations",
                        "completed_on": analytics,
                    }
                )
                staff[-1]["data_analytics_on"] = analytics
                if rng.random() < 0.2 and analytics < last:
                    trainings.append(
                        {
                            "staff_number": staff_number,
                            "skill": "data_science",
                            "course": "Applied data science",
                            "completed_on": _day(rng, analytics, last),
                        }
                    )
    systems = []
    classes, weights = zip(*_CLASSIFICATION_WEIGHTS.items(), strict=True)
    for agency in agency_codes:
        for number in range(SYSTEMS_PER_AGENCY):
            classification = rng.choices(classes, weights)[0]
            commissioned = today - dt.timedelta(days=rng.randrange(200, 4000))
            retired = _day(rng, programme_start, today) if rng.random() < 0.08 else None
            moved = None
            if classification in CLOUD_ELIGIBLE and rng.random() < 0.72:
                moved = _day(rng, max(commissioned, programme_start), retired or today)
            systems.append(
                {
                    "code": f"{agency}-SYS-{number + 1:02d}",
                    "name": f"{agency} system {number + 1}",
                    "agency_code": agency,
                    "classification": classification,
                    "commissioned_on": commissioned,
                    "retired_on": retired,
                    "hosting": "commercial_cloud" if moved else rng.choice(["on_premises", "government_cloud"]),
                    "commercial_cloud_since": moved,
                }
            )
    projects = []
    for number in range(PROJECTS_PER_YEAR * YEARS):
        started = _day(rng, programme_start, today - dt.timedelta(days=7))
        progress = (started - programme_start).days / (today - programme_start).days
        agencies = rng.sample(agency_codes, k=min(len(agency_codes), rng.choice((2, 2, 3, 4))))
        requested = started + dt.timedelta(days=rng.randrange(0, 10))
        # Fusion got quicker as agencies adopted the common data standards: about 12 working days to about 5.
        days = max(1, round(rng.gauss(12 - 7 * progress, 2.5)))
        shared = _working_day_after(requested, days)
        projects.append(
            {
                "code": f"XP-{number + 1:03d}",
                "name": rng.choice(_PROJECT_THEMES),
                "kind": rng.choice(["ai", "analytics"]),
                "lead_agency_code": agencies[0],
                "agency_codes": agencies,
                "started_on": started,
                "data_requested_on": requested if requested <= today else None,
                "data_shared_on": shared if shared <= today else None,
            }
        )
    return actions.records_load(staff=staff, trainings=trainings, systems=systems, projects=projects)
