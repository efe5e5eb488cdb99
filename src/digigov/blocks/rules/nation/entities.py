"""Who the nation's rules are about: persons, and the households they live in."""

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person",
    plural="persons",
    label="A resident",
    doc="Anyone registered as living in the nation: citizens, permanent residents and foreigners.",
    is_person=True,
)

Household = build_entity(
    key="household",
    plural="households",
    label="A household",
    doc="The people registered at one address who share a home; the unit most means tests look at.",
    roles=[
        {
            "key": "parent",
            "plural": "parents",
            "label": "Parents",
            "max": 2,
            "doc": "The head of the household and their spouse, who claim on the household's behalf.",
        },
        {"key": "child", "plural": "children", "label": "Children", "doc": "The parents' children living with them."},
        {
            "key": "other_member",
            "plural": "other_members",
            "label": "Other members",
            "doc": "Anyone else living in the household: grandparents, relatives, lodgers.",
        },
    ],
)

entities = [Person, Household]
