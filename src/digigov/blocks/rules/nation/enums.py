"""Code lists shared by the nation's variables. Member names equal the registries' codes so that registry
values map across without translation tables, and parameters can be indexed by them."""

from openfisca_core.indexed_enums import Enum


class Citizenship(Enum):
    citizen = "Citizen"
    permanent_resident = "Permanent resident"
    foreigner = "Foreigner"


class EmploymentStatus(Enum):
    employed = "Employed"
    self_employed = "Self-employed"
    unemployed = "Unemployed"
    retired = "Retired"
    student = "Student"
    homemaker = "Homemaker"
    child = "Child (not of working age)"


class HousingType(Enum):
    public_1room = "Public flat, 1 room"
    public_2room = "Public flat, 2 rooms"
    public_3room = "Public flat, 3 rooms"
    public_4room = "Public flat, 4 rooms"
    public_5room = "Public flat, 5 rooms"
    public_executive = "Public flat, executive"
    condominium = "Condominium or private flat"
    landed = "Landed property"
