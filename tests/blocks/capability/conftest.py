import pytest


@pytest.fixture
def capability_records(nation):
    """The synthetic capability records the seeded nation got from `nation_seed`."""
    from digigov.blocks.capability.models import StaffMember, Training

    return {"staff": StaffMember.objects.count(), "trainings": Training.objects.count()}


@pytest.fixture
def no_capability_records(nation):
    """Start from an empty workforce, system inventory and project list (rolled back with the test), so a test
    can count exactly what it records."""
    from digigov.blocks.capability.models import DataProject, StaffMember, System, Training

    for model in (Training, StaffMember, System, DataProject):
        model.objects.all().delete()
