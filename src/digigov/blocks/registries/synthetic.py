"""A synthetic nation for demos, tests and benchmarks, and the bulk loader that writes it.

Deterministic: the same (residents, seed, today) gives the same people, households, addresses, national ID
numbers and businesses. Only ciphertexts differ between runs, because every encryption takes a fresh nonce.
National ID numbers and monthly incomes are encrypted a chunk at a time (one batch call per chunk) under
the primary data key, which the caller looks up before generating starts: the generator may run in a
forked process that must not touch the database.

Every person and business it writes is marked `synthetic`: sandbox clients may reach only those.

Fast enough for a million residents: rows are generated as tuples in chunks, primary keys are assigned here
so that foreign keys (household, mother, father, owner) need no round trips, and each chunk is written with
one `executemany` on SQLite or one COPY per table on PostgreSQL.

The figures are Singapore-like on purpose (an ageing population, mostly public flats, CMIO ethnic groups with
their own naming patterns) so that eligibility rules and KPIs meet realistic cases, not uniform noise.
"""

import bisect
import contextlib
import datetime as dt
import multiprocessing
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from digigov.blocks.registries import catalogue, national_id
from digigov.blocks.registries.bindings import MONTHLY_INCOME_CONTEXT, NATIONAL_ID_CONTEXT, national_id_of
from digigov.blocks.registries.models import (
    Address,
    Agency,
    Business,
    BusinessRole,
    DataElement,
    Household,
    Person,
)
from digigov.platform import keys
from digigov.platform.bulk import rows_insert
from digigov.platform.crypto import blind_index, encrypt_many, row_context

CHUNK_RESIDENTS = 50_000

# Reused for every demo and officer account, and printed with the demo sign-ins.
DEMO_CITIZEN_EMAIL = "demo.citizen@example.org"
DEMO_SPOUSE_EMAIL = "demo.spouse@example.org"
DEMO_BUSINESS_OWNER_EMAIL = "demo.business@example.org"


# ---------------------------------------------------------------------------------------------------------
# Reference data: agencies and the common data standard
# ---------------------------------------------------------------------------------------------------------


def reference_data_load() -> dict[str, int]:
    """Create or update the agencies and data elements of `catalogue.py`; returns agency ids by code."""
    agency_ids = {}
    for code, name, short_name, mission in catalogue.AGENCIES:
        agency, _created = Agency.objects.update_or_create(
            code=code, defaults={"name": name, "short_name": short_name, "mission": mission}
        )
        agency_ids[code] = agency.pk
    for key, label, data_type, fmt, classification, owner, allowed in catalogue.ELEMENTS:
        DataElement.objects.update_or_create(
            key=key,
            defaults={
                "label": label, "data_type": data_type, "format": fmt, "classification": classification,
                "owner_agency_id": agency_ids[owner], "allowed_values": allowed,
            },
        )
    return agency_ids


# ---------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------


class _Weighted:
    """A weighted choice drawn with one random number and a bisect (rng.choices is slower per call)."""

    __slots__ = ("items", "cumulative")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _w in pairs]
        total, running = sum(w for _i, w in pairs), 0.0
        self.cumulative = []
        for _item, weight in pairs:
            running += weight / total
            self.cumulative.append(running)
        self.cumulative[-1] = 1.0

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cumulative, rng.random())]


class _FastRandom(random.Random):
    """`random.Random` with cheaper integer draws: one float each instead of rejection sampling on bits.

    The bias (below one in 2**50) is irrelevant for synthetic data, and the sequence is as deterministic.
    """

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]


def _age_from_buckets(rng: random.Random, buckets: _Weighted) -> int:
    low, high = buckets.pick(rng)
    return rng.randint(low, high)


# ---------------------------------------------------------------------------------------------------------
# Names: each culture's own pattern (surname first for Chinese; patronyms for Malay and Tamil names; a
# surname passed to wife and children for Eurasian, Western and Filipino families).
# ---------------------------------------------------------------------------------------------------------

_CHINESE_SURNAMES = _Weighted([
    ("Tan", 12), ("Lim", 9), ("Lee", 7), ("Ng", 6), ("Ong", 4), ("Wong", 4), ("Goh", 4), ("Chua", 3),
    ("Chan", 3), ("Koh", 3), ("Teo", 3), ("Ang", 2), ("Yeo", 2), ("Tay", 2), ("Ho", 2), ("Low", 2), ("Toh", 2),
    ("Sim", 2), ("Chong", 2), ("Chia", 2), ("Seah", 1), ("Foo", 1), ("Leong", 1), ("Yap", 1), ("Lau", 1),
    ("Phua", 1), ("Quek", 1), ("Heng", 1), ("Neo", 1), ("Soh", 1), ("Kwek", 1), ("Loh", 1),
])
_CHINESE_SYLLABLES = {
    "M": ["Wei", "Ming", "Jun", "Jie", "Hao", "Kai", "Zhi", "Wen", "Hong", "Cheng", "Kiat", "Boon", "Seng", "Keng",
          "Kok", "Meng", "Hock", "Yong", "Liang", "Xiang", "Jian", "Rui", "Yi", "Heng", "Sheng", "Chee", "Beng",
          "Guan", "Teck", "Hui"],
    "F": ["Mei", "Ling", "Hui", "Xin", "Yi", "Li", "Shu", "Jia", "Qi", "Wen", "Ying", "Lay", "Choo", "Siew", "Bee",
          "Poh", "Hwee", "Geok", "Yan", "Xuan", "Min", "Ting", "En", "Le", "Fang", "Pei", "Yun", "Jing", "Zhen", "Kim"],
}
_ENGLISH_GIVEN = {
    "M": ["Jason", "Marcus", "Ryan", "Daniel", "Kelvin", "Benjamin", "Nicholas", "Gabriel", "Ethan", "Lucas",
          "Joshua", "Alvin", "Desmond", "Eugene", "Vincent", "Wilson", "Darren", "Terence"],
    "F": ["Rachel", "Michelle", "Jasmine", "Sarah", "Chloe", "Charlotte", "Grace", "Joanne", "Vivian", "Cheryl",
          "Stephanie", "Natalie", "Hannah", "Audrey", "Elaine", "Priscilla", "Germaine", "Valerie"],
}
_PRC_SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu"]
_PRC_SYLLABLES = {
    "M": ["wei", "jun", "hao", "yu", "tao", "lei", "peng", "bo", "qiang", "long", "xiang", "chen", "feng"],
    "F": ["fang", "na", "min", "jing", "li", "xue", "yan", "ting", "lan", "qian", "yue", "lin", "hui"],
}
_MALAY_GIVEN = {
    "M": ["Muhammad Hafiz", "Ahmad Faizal", "Muhammad Irfan", "Mohamed Ismail", "Abdul Rahman", "Syafiq", "Hakim",
          "Iskandar", "Zulkifli", "Azman", "Hamzah", "Firdaus", "Danial", "Amir", "Haziq", "Rizwan", "Khairul Anwar",
          "Aiman", "Luqman", "Faris", "Yusof", "Abdul Rahim", "Osman", "Salleh", "Jamal", "Muhammad Adam", "Ismail"],
    "F": ["Nur Aisyah", "Siti Nurhaliza", "Nurul Huda", "Farah Nadia", "Siti Aminah", "Nur Fatimah", "Syazwani",
          "Nurul Hidayah", "Nadia", "Amirah", "Liyana", "Nur Izzati", "Aishah", "Zainab", "Halimah", "Rohani",
          "Salmah", "Nur Sabrina", "Puteri Balqis", "Aqilah", "Siti Khadijah", "Norhayati"],
}
_TAMIL_GIVEN = {
    "M": ["Rajesh", "Suresh", "Karthik", "Arun", "Vikram", "Prakash", "Ganesan", "Muthu", "Ravi", "Senthil",
          "Dinesh", "Naveen", "Ashwin", "Harish", "Kumar", "Balakrishnan", "Ramasamy", "Subramaniam", "Selvam",
          "Murugan", "Thiruvengadam", "Anand"],
    "F": ["Priya", "Kavitha", "Lakshmi", "Deepa", "Anitha", "Meena", "Revathi", "Shalini", "Divya", "Janani",
          "Nithya", "Saranya", "Malathi", "Vasanthi", "Kamala", "Thenmoli", "Sangeetha", "Yamuna"],
}
_SIKH_GIVEN = {
    "M": ["Harpreet", "Gurpreet", "Jaswant", "Manjit", "Ranjit", "Amarjit", "Baljit", "Karan", "Sukhdev"],
    "F": ["Manpreet", "Simran", "Harjeet", "Jasleen", "Navneet", "Gurleen", "Rajinder"],
}
_NORTH_INDIAN_GIVEN = {
    "M": ["Arjun", "Rahul", "Amit", "Vivek", "Rohan", "Sanjay", "Aditya", "Nikhil", "Varun", "Siddharth"],
    "F": ["Neha", "Pooja", "Anjali", "Shreya", "Ritu", "Sneha", "Kavya", "Aarti", "Ishita", "Meera"],
}
_NORTH_INDIAN_SURNAMES = ["Sharma", "Gupta", "Verma", "Mehta", "Patel", "Iyer", "Nair", "Menon", "Reddy", "Rao",
                          "Kapoor", "Joshi"]
_BANGLADESHI_GIVEN = {
    "M": ["Mohammad Rahim", "Md Karim", "Abdul Kalam", "Rafiqul", "Shahidul", "Anwar", "Jahangir", "Mizanur"],
    "F": ["Fatema", "Nasrin", "Taslima", "Rokeya", "Shirin", "Sharmin"],
}
_BANGLADESHI_SURNAMES = ["Uddin", "Hossain", "Islam", "Rahman", "Miah", "Ahmed", "Alam", "Sarkar"]
_EURASIAN_GIVEN = {
    "M": ["Daniel", "Michael", "Christopher", "Adrian", "Brendan", "Gerald", "Clement", "Nigel", "Russell",
          "Jerome", "Andre", "Sebastian", "Julian", "Patrick"],
    "F": ["Sarah", "Melissa", "Claire", "Andrea", "Rebecca", "Natasha", "Bernadette", "Genevieve", "Monica",
          "Celeste", "Sharon", "Veronica"],
}
_EURASIAN_SURNAMES = ["de Souza", "Pereira", "Rodrigues", "Fernandez", "D'Cruz", "Sequeira", "Shepherdson",
                      "Oliveiro", "Westerhout", "Minjoot", "Rozario", "Aeria", "Gomes", "de Silva", "Martens", "Scully"]
_FILIPINO_GIVEN = {
    "M": ["Jose", "Mark Anthony", "John Paul", "Rommel", "Jericho", "Carlo", "Rafael", "Miguel", "Ramon"],
    "F": ["Maria Cristina", "Mary Grace", "Joy", "Angelica", "Kristine", "Rowena", "Liza", "Jennifer", "Marites"],
}
_FILIPINO_SURNAMES = ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz", "Villanueva",
                      "Ramos", "Aquino", "Castillo"]
_WESTERN_GIVEN = {
    "M": ["Oliver", "James", "Thomas", "William", "Henry", "Lukas", "Pierre", "Matteo", "Samuel", "Jack"],
    "F": ["Emma", "Sophie", "Charlotte", "Amelia", "Hannah", "Claire", "Isabelle", "Laura", "Olivia", "Anna"],
}
_WESTERN_SURNAMES = ["Smith", "Brown", "Wilson", "Taylor", "Mueller", "Martin", "Dubois", "Rossi", "Jensen",
                     "O'Brien", "Walker", "Schmidt"]
_JAPANESE_GIVEN = {
    "M": ["Haruto", "Takeshi", "Kenji", "Hiroshi", "Yuto", "Daiki", "Sota"],
    "F": ["Yuki", "Sakura", "Aiko", "Haruka", "Mei", "Naoko", "Yui"],
}
_JAPANESE_SURNAMES = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"]
_MYANMAR_FIRST = {"M": ["Aung", "Kyaw", "Zaw", "Htet", "Min", "Thant", "Ye"], "F": ["Khin", "Su", "May", "Thiri",
                                                                               "Nandar", "Hnin", "Ei"]}
_MYANMAR_REST = ["Win", "Myint", "Hla", "Naing", "Oo", "Thu", "Zin", "Phyo", "Lwin", "Htun", "Moe", "Aye"]

# Cultures and the ethnic group (CMIO: Chinese, Malay, Indian, Others; Eurasians counted on their own) each
# belongs to. Singapore counts Bangladeshi, Pakistani and Sri Lankan origins as Indian.
_ETHNIC_GROUP = {
    "chinese": "chinese", "prc": "chinese", "malay": "malay", "tamil": "indian", "sikh": "indian",
    "north_indian": "indian", "bangladeshi": "indian", "eurasian": "eurasian", "filipino": "other",
    "western": "other", "japanese": "other", "myanmar": "other",
}
_CULTURES_CITIZEN = _Weighted([
    ("chinese", 74.0), ("malay", 13.5), ("tamil", 6.8), ("sikh", 0.7), ("north_indian", 1.5), ("eurasian", 0.8),
    ("filipino", 1.2), ("western", 0.7), ("japanese", 0.3), ("myanmar", 0.5),
])
_CULTURES_PR = _Weighted([
    ("chinese", 33), ("prc", 30), ("malay", 8), ("tamil", 8), ("north_indian", 9), ("eurasian", 1),
    ("filipino", 5), ("western", 3), ("japanese", 1), ("myanmar", 2),
])
_CULTURES_FOREIGN = _Weighted([
    ("prc", 15), ("chinese", 15), ("malay", 8), ("tamil", 12), ("north_indian", 10), ("bangladeshi", 12),
    ("filipino", 13), ("western", 8), ("myanmar", 5), ("japanese", 2),
])
# Families who pass one surname from husband to wife and children.
_SHARED_SURNAME = {"north_indian", "eurasian", "filipino", "western", "japanese", "bangladeshi"}

_EMAIL_STRIP = str.maketrans("", "", " '/-.")
_EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]


@dataclass(frozen=True)
class Naming:
    """What a child inherits and a spouse may share: the family surname, and the father's given name."""

    given: str
    surname: str


def name_generate(
    *, rng: random.Random, culture: str, sex: str, age: int, surname: str = "", father_given: str = ""
) -> tuple[str, Naming]:
    """A full name in the culture's pattern; `surname` / `father_given` pass a family's name on."""
    if culture == "chinese":
        surname = surname or _CHINESE_SURNAMES.pick(rng)
        syllables = _CHINESE_SYLLABLES[sex]
        given = f"{rng.choice(syllables)} {rng.choice(syllables)}"
        # English names beside the Chinese one became common from the 1970s.
        if age < 55 and rng.random() < 0.4:
            return f"{rng.choice(_ENGLISH_GIVEN[sex])} {surname} {given}", Naming(given, surname)
        return f"{surname} {given}", Naming(given, surname)
    if culture == "prc":
        surname = surname or rng.choice(_PRC_SURNAMES)
        syllables = _PRC_SYLLABLES[sex]
        given = rng.choice(syllables).capitalize()
        if rng.random() < 0.6:
            given += rng.choice(syllables)
        return f"{surname} {given}", Naming(given, surname)
    if culture == "malay":
        given = rng.choice(_MALAY_GIVEN[sex])
        father = father_given or rng.choice(_MALAY_GIVEN["M"])
        return f"{given} {'bin' if sex == 'M' else 'binte'} {father}", Naming(given, "")
    if culture == "tamil":
        given = rng.choice(_TAMIL_GIVEN[sex])
        father = father_given or rng.choice(_TAMIL_GIVEN["M"])
        return f"{given} {'s/o' if sex == 'M' else 'd/o'} {father}", Naming(given, "")
    if culture == "sikh":
        given = rng.choice(_SIKH_GIVEN[sex])
        return f"{given} {'Singh' if sex == 'M' else 'Kaur'}", Naming(given, "")
    if culture == "myanmar":
        given = f"{rng.choice(_MYANMAR_FIRST[sex])} {rng.choice(_MYANMAR_REST)}"
        if rng.random() < 0.5:
            given += f" {rng.choice(_MYANMAR_REST)}"
        return given, Naming(given, "")
    given_names, surnames = {
        "north_indian": (_NORTH_INDIAN_GIVEN, _NORTH_INDIAN_SURNAMES),
        "bangladeshi": (_BANGLADESHI_GIVEN, _BANGLADESHI_SURNAMES),
        "eurasian": (_EURASIAN_GIVEN, _EURASIAN_SURNAMES),
        "filipino": (_FILIPINO_GIVEN, _FILIPINO_SURNAMES),
        "western": (_WESTERN_GIVEN, _WESTERN_SURNAMES),
        "japanese": (_JAPANESE_GIVEN, _JAPANESE_SURNAMES),
    }[culture]
    given = rng.choice(given_names[sex])
    surname = surname or rng.choice(surnames)
    return f"{given} {surname}", Naming(given, surname)


def officer_name_generate(*, rng: random.Random) -> str:
    """A name for a public officer, drawn like any resident's."""
    sex = "F" if rng.random() < 0.5 else "M"
    full_name, _naming = name_generate(rng=rng, culture=_CULTURES_CITIZEN.pick(rng), sex=sex, age=40)
    return full_name


# ---------------------------------------------------------------------------------------------------------
# National ID numbers
# ---------------------------------------------------------------------------------------------------------


class NationalIdAllocator:
    """Hands out unique national ID numbers in the NRIC/FIN pattern.

    Citizens born from 1968 carry their birth year in the first two digits (S88..., T05...); older citizens
    and permanent residents draw from their own ranges; foreigners get F (born before 1975, so registered
    before 2000) or G. Each range is walked with a seed-dependent stride so numbers are not sequential.
    """

    _RANGES = {
        "S_old": ("S", 0, 2_000_000),
        "S_pr": ("S", 2_000_000, 4_800_000),
        "T_pr": ("T", 5_000_000, 5_000_000),
        "F": ("F", 0, 10_000_000),
        "G": ("G", 0, 10_000_000),
    }
    _STRIDE = 1_000_003  # prime, so coprime to every range size (products of 2, 3 and 5)
    _YEAR_STRIDE = 7_919  # prime, coprime to 100,000

    def __init__(self, *, seed: int) -> None:
        offsets = random.Random(f"national-id:{seed}")  # noqa: S311 (synthetic data, not security)
        self._offset = {name: offsets.randrange(size) for name, (_p, _start, size) in self._RANGES.items()}
        self._year_offset = [offsets.randrange(100_000) for _ in range(100)]
        self._issued = dict.fromkeys(self._RANGES, 0)
        self._issued_in_year: dict[int, int] = {}

    def _from_range(self, name: str) -> str:
        prefix, start, size = self._RANGES[name]
        k = self._issued[name]
        if k >= size:
            raise ValueError(f"No national ID numbers left in range {name}")
        self._issued[name] = k + 1
        return national_id.make(prefix=prefix, number=start + (k * self._STRIDE + self._offset[name]) % size)

    def allocate(self, *, citizenship: str, birth_year: int) -> str:
        if citizenship == "foreigner":
            return self._from_range("F" if birth_year < 1975 else "G")
        if citizenship == "citizen" and birth_year >= 1968:
            k = self._issued_in_year.get(birth_year, 0)
            if k < 100_000:
                self._issued_in_year[birth_year] = k + 1
                yy = birth_year % 100
                number = yy * 100_000 + (k * self._YEAR_STRIDE + self._year_offset[yy]) % 100_000
                return national_id.make(prefix="S" if birth_year < 2000 else "T", number=number)
        if birth_year < 2000:
            return self._from_range("S_old" if citizenship == "citizen" and birth_year < 1968 else "S_pr")
        return self._from_range("T_pr")


# ---------------------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------------------

# Town, postal sector, streets (public housing estates).
_TOWNS = [
    ("56", ["Ang Mo Kio Avenue 1", "Ang Mo Kio Avenue 3", "Ang Mo Kio Avenue 10", "Ang Mo Kio Street 21"]),
    ("46", ["Bedok North Road", "Bedok North Street 3", "Bedok Reservoir Road", "New Upper Changi Road"]),
    ("57", ["Bishan Street 12", "Bishan Street 22", "Sin Ming Road"]),
    ("65", ["Bukit Batok West Avenue 6", "Bukit Batok Street 21", "Bukit Batok East Avenue 3"]),
    ("15", ["Henderson Road", "Telok Blangah Crescent", "Jalan Bukit Merah"]),
    ("68", ["Choa Chu Kang Avenue 4", "Choa Chu Kang Crescent", "Teck Whye Lane"]),
    ("12", ["Clementi Avenue 4", "Clementi West Street 2", "West Coast Road"]),
    ("53", ["Hougang Avenue 8", "Hougang Street 51", "Upper Serangoon Road"]),
    ("64", ["Jurong West Street 42", "Jurong West Street 91", "Boon Lay Drive"]),
    ("51", ["Pasir Ris Street 21", "Pasir Ris Drive 6", "Elias Road"]),
    ("82", ["Punggol Field", "Punggol Drive", "Edgefield Plains"]),
    ("54", ["Sengkang East Way", "Compassvale Road", "Anchorvale Link"]),
    ("52", ["Tampines Street 21", "Tampines Avenue 9", "Tampines North Drive 1"]),
    ("31", ["Lorong 1 Toa Payoh", "Toa Payoh North", "Lorong 8 Toa Payoh"]),
    ("73", ["Woodlands Drive 14", "Woodlands Street 41", "Marsiling Drive"]),
    ("76", ["Yishun Ring Road", "Yishun Avenue 4", "Yishun Street 22"]),
    ("14", ["Commonwealth Drive", "Dawson Road", "Mei Ling Street"]),
    ("38", ["Aljunied Crescent", "Sims Drive", "Circuit Road"]),
    ("55", ["Serangoon North Avenue 1", "Serangoon Central", "Lorong Lew Lian"]),
    ("67", ["Bukit Panjang Ring Road", "Segar Road", "Fajar Road"]),
]
_TOWN_WEIGHTS = _Weighted([(i, w) for i, w in enumerate(
    [6, 7, 3, 5, 6, 5, 4, 7, 8, 4, 6, 7, 8, 4, 8, 7, 3, 3, 4, 4]
)])
_FLATS_PER_BLOCK = 132  # 12 storeys of 11 units
_CONDO_STREETS = [
    ("43", "Tanjong Rhu Road"), ("26", "Holland Road"), ("28", "Bukit Timah Road"), ("43", "Meyer Road"),
    ("23", "River Valley Road"), ("59", "Upper Thomson Road"), ("46", "Upper East Coast Road"),
    ("12", "Pasir Panjang Road"), ("53", "Yio Chu Kang Road"), ("52", "Tampines Avenue 10"),
    ("64", "Jurong Lake Link"), ("73", "Woodlands Avenue 12"), ("82", "Punggol Way"), ("42", "Marine Parade Road"),
]
_CONDO_UNITS = 200
_LANDED_STREETS = [
    ("41", "Jalan Kembangan"), ("45", "Siglap Road"), ("28", "Jalan Kampong Chantek"), ("57", "Sin Ming Walk"),
    ("27", "Namly Avenue"), ("79", "Seletar Hills Road"), ("55", "Jalan Bunga Rampai"), ("46", "Frankel Avenue"),
    ("28", "Binjai Park"), ("45", "Opera Estate Road"), ("57", "Thomson Hills Drive"), ("53", "Jalan Teliti"),
]
_COMMERCIAL_STREETS = [
    ("04", "Raffles Place"), ("06", "Amoy Street"), ("08", "Tanjong Pagar Road"), ("18", "Robinson Road"),
    ("40", "Ubi Avenue 1"), ("41", "Kaki Bukit Road 1"), ("53", "Tai Seng Street"), ("73", "Woodlands Loop"),
    ("56", "Ang Mo Kio Industrial Park 2"), ("19", "North Bridge Road"), ("20", "Jalan Besar"),
    ("38", "Geylang Road"), ("23", "Orchard Road"), ("60", "Jurong Gateway Road"),
]
_PUBLIC_ROOMS_BY_SIZE = {
    1: _Weighted([("public_1room", 9), ("public_2room", 20), ("public_3room", 40), ("public_4room", 24),
                  ("public_5room", 7)]),
    2: _Weighted([("public_1room", 2), ("public_2room", 8), ("public_3room", 33), ("public_4room", 37),
                  ("public_5room", 17), ("public_executive", 3)]),
    3: _Weighted([("public_2room", 2), ("public_3room", 20), ("public_4room", 45), ("public_5room", 27),
                  ("public_executive", 6)]),
    5: _Weighted([("public_3room", 10), ("public_4room", 40), ("public_5room", 37), ("public_executive", 13)]),
}


class _Addresses:
    """Gives each new household a unit of its own: flats fill blocks storey by storey."""

    def __init__(self, *, rng: random.Random) -> None:
        self._rng = rng
        self._town_flats = [0] * len(_TOWNS)
        self._condo_units = 0
        self._landed = 0
        self._commercial = 0

    def public(self) -> tuple[str, str, str, str]:
        town = _TOWN_WEIGHTS.pick(self._rng)
        sector, streets = _TOWNS[town]
        c = self._town_flats[town]
        self._town_flats[town] = c + 1
        blocks, within = divmod(c, _FLATS_PER_BLOCK)
        number = 101 + blocks % 880
        suffix = "" if blocks < 880 else "ABCDEFGH"[min(blocks // 880 - 1, 7)]
        storey, stack = divmod(within, 11)
        unit = f"#{storey + 2:02d}-{(number % 60) * 10 + stack + 100:03d}"
        postal = f"{sector}{(number + (1000 if suffix else 0)) % 10000:04d}"
        return f"{number}{suffix}", streets[number % len(streets)], unit, postal

    def condominium(self) -> tuple[str, str, str, str]:
        c = self._condo_units
        self._condo_units = c + 1
        estate, within = divmod(c, _CONDO_UNITS)
        sector, street = _CONDO_STREETS[estate % len(_CONDO_STREETS)]
        house = 1 + 2 * (estate // len(_CONDO_STREETS))
        storey, stack = divmod(within, 8)
        return str(house), street, f"#{storey + 2:02d}-{stack + 1:02d}", f"{sector}{(house * 7) % 10000:04d}"

    def landed(self) -> tuple[str, str, str, str]:
        c = self._landed
        self._landed = c + 1
        street_index, house = c % len(_LANDED_STREETS), 1 + c // len(_LANDED_STREETS)
        sector, street = _LANDED_STREETS[street_index]
        return str(house), street, "", f"{sector}{(house * 13 + street_index) % 10000:04d}"

    def commercial(self) -> tuple[str, str, str, str]:
        c = self._commercial
        self._commercial = c + 1
        building, within = divmod(c, 120)
        sector, street = _COMMERCIAL_STREETS[building % len(_COMMERCIAL_STREETS)]
        house = 1 + 3 * (building // len(_COMMERCIAL_STREETS))
        storey, stack = divmod(within, 12)
        return str(house), street, f"#{storey + 1:02d}-{stack + 1:02d}", f"{sector}{(house * 11) % 10000:04d}"


# ---------------------------------------------------------------------------------------------------------
# Work, learning and income
# ---------------------------------------------------------------------------------------------------------

_EDUCATION_BY_COHORT = [
    # born before, distribution
    (1955, _Weighted([("primary", 50), ("secondary", 30), ("post_secondary", 8), ("diploma", 6), ("degree", 6)])),
    (1970, _Weighted([("primary", 25), ("secondary", 35), ("post_secondary", 12), ("diploma", 13), ("degree", 15)])),
    (1985, _Weighted([("primary", 8), ("secondary", 22), ("post_secondary", 12), ("diploma", 23), ("degree", 35)])),
    (9999, _Weighted([("primary", 3), ("secondary", 10), ("post_secondary", 10), ("diploma", 27), ("degree", 50)])),
]
_OCCUPATIONS = {
    "primary": ["Cleaner", "Construction worker", "Kitchen assistant", "Security officer", "Delivery rider",
                "Production operator", "Stall assistant"],
    "secondary": ["Retail assistant", "Bus captain", "Technician", "Clerk", "Taxi driver",
                  "Customer service officer", "Warehouse supervisor", "Cook"],
    "post_secondary": ["Enrolled nurse", "Sales executive", "Administrative assistant", "Chef", "Police officer",
                       "Electrician", "Beautician"],
    "diploma": ["Engineering assistant", "IT support specialist", "Accounts executive", "Early childhood educator",
                "Laboratory technician", "Graphic designer", "Registered nurse", "Logistics coordinator"],
    "degree": ["Software engineer", "Teacher", "Accountant", "Doctor", "Lawyer", "Civil servant",
               "Marketing manager", "Data analyst", "Architect", "Financial analyst", "Pharmacist",
               "Operations manager", "Lecturer"],
}
_SELF_EMPLOYED_OCCUPATIONS = ["Hawker", "Private-hire driver", "Private tutor", "Renovation contractor",
                              "Consultant", "Shop owner", "Photographer", "Hairdresser", "Company director"]
_FOREIGN_WORK_OCCUPATIONS = ["Construction worker", "Shipyard worker", "Cleaner", "Production operator",
                             "Domestic worker", "Food service worker"]
_BASE_INCOME = {"": 1_500, "primary": 1_900, "secondary": 2_700, "post_secondary": 3_300, "diploma": 4_200,
                "degree": 7_000}


def _education(rng: random.Random, *, age: int, birth_year: int) -> str:
    if age < 13:
        return ""  # no qualification yet
    if age < 17:
        return "primary"
    if age < 19:
        return "secondary"
    for born_before, table in _EDUCATION_BY_COHORT:
        if birth_year < born_before:
            return table.pick(rng)
    return "degree"  # pragma: no cover - the last cohort has no upper bound


def _work(rng: random.Random, *, age: int, sex: str, education: str) -> tuple[str, str, int]:
    """Employment status, occupation and monthly income (whole dollars) by age, sex and education."""
    if age < 7:
        return "child", "", 0
    if age < 18:
        return "student", "", 0
    r = rng.random()
    if age < 25:
        if r < 0.55:
            return "student", "", (rng.randrange(4, 12) * 100 if rng.random() < 0.3 else 0)
        status = "unemployed" if r < 0.60 else "employed"
    elif age < 60:
        homemaker = 0.12 if sex == "F" else 0.01
        if r < 0.03:
            status = "unemployed"
        elif r < 0.03 + homemaker:
            status = "homemaker"
        else:
            status = "self_employed" if rng.random() < 0.08 + age / 600 else "employed"
    elif age < 70:
        retired = 0.25 if age < 65 else 0.6
        if r < retired:
            status = "retired"
        elif r < retired + (0.1 if sex == "F" else 0.02):
            status = "homemaker"
        else:
            status = "self_employed" if rng.random() < 0.2 else "employed"
    else:
        if r < 0.86:
            status = "retired"
        elif r < 0.92:
            status = "homemaker" if sex == "F" else "retired"
        else:
            status = "employed"
    if status == "retired":
        return status, "", (rng.randrange(3, 16) * 100 if rng.random() < 0.65 else 0)
    if status in {"unemployed", "homemaker"}:
        return status, "", 0
    # Earnings rise with experience to the late forties and ease off towards retirement.
    experience = 0.55 + 0.5 * min(1.0, (age - 20) / 25) - 0.25 * max(0.0, (age - 55) / 10)
    income = _BASE_INCOME[education] * experience * rng.lognormvariate(0.0, 0.4)
    if status == "self_employed":
        income *= rng.lognormvariate(0.0, 0.5)
        occupation = rng.choice(_SELF_EMPLOYED_OCCUPATIONS)
    else:
        occupation = rng.choice(_OCCUPATIONS[education or "primary"])
    return status, occupation, max(800, int(income) // 10 * 10)


# ---------------------------------------------------------------------------------------------------------
# Businesses
# ---------------------------------------------------------------------------------------------------------

_INDUSTRIES = [
    ("Food and beverage", ["Kopitiam", "Catering", "Bakery", "Eating House", "Noodle House"]),
    ("Retail trade", ["Mart", "Hardware", "Florist", "Optical", "Provision Shop"]),
    ("Construction", ["Renovation Works", "Builders", "Engineering", "Interior Design"]),
    ("Information and communications", ["Technologies", "Digital", "Software", "Media"]),
    ("Professional services", ["Consultancy", "Accounting Services", "Design Studio", "Advisory"]),
    ("Transport and logistics", ["Logistics", "Transport", "Movers", "Express"]),
    ("Education", ["Tuition Centre", "Learning Hub", "Enrichment", "Music School"]),
    ("Health and beauty", ["Beauty Salon", "Wellness", "Hair Studio", "Physiotherapy"]),
    ("Wholesale trade", ["Trading", "Supplies", "Enterprise", "Import and Export"]),
]
_COMPANY_WORDS = ["Bluewave", "Harbourfront", "Lion City", "Evergreen", "Orchid", "Merlion", "Sunrise", "Kampong",
                  "Straits", "Garden City", "Red Dot", "Peranakan", "Horizon", "Emerald", "Golden Bay", "Banyan"]
_UEN_WEIGHTS = (10, 4, 9, 3, 8, 2, 7, 1, 6)


def uen_make(*, digits: str) -> str:
    """A unique entity number: 8 (businesses) or 9 (companies) digits and a check letter."""
    total = sum(int(d) * w for d, w in zip(digits, _UEN_WEIGHTS, strict=False))
    return f"{digits}{'ABCDEFGHJKLMNPQRSTUVWXYZ'[total % 24]}"


# ---------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------


class _Resident:
    """One person while their household is being built; becomes a row when it is done."""

    __slots__ = ("id", "culture", "sex", "age", "dob", "birth_year", "full_name", "naming", "citizenship",
                 "marital", "education", "employment", "occupation", "income", "role", "mother", "father",
                 "email", "mobile")

    def __init__(self, *, pid: int, culture: str, sex: str, age: int, citizenship: str, marital: str,
                 role: str) -> None:
        self.id = pid
        self.culture = culture
        self.sex = sex
        self.age = age
        self.citizenship = citizenship
        self.marital = marital
        self.role = role
        self.mother: _Resident | None = None
        self.father: _Resident | None = None
        self.full_name = ""
        self.naming = Naming("", "")
        self.education = ""
        self.employment = ""
        self.occupation = ""
        self.income = 0
        self.email = ""
        self.mobile = ""
        self.dob = ""
        self.birth_year = 0


@dataclass
class Batch:
    """Rows for one chunk, in each table's column order (see `COLUMNS`)."""

    addresses: list[tuple] = field(default_factory=list)
    households: list[tuple] = field(default_factory=list)
    persons: list[tuple] = field(default_factory=list)
    businesses: list[tuple] = field(default_factory=list)
    business_roles: list[tuple] = field(default_factory=list)
    demo: "DemoPeople | None" = None  # set on the batch that holds the demo families


COLUMNS: dict[type[Model], list[str]] = {
    Address: ["id", "block", "street", "unit", "postal_code", "housing_type", "source_agency", "verified_at"],
    Household: ["id", "address", "source_agency", "verified_at"],
    Person: ["id", "national_id_encrypted", "national_id_index", "full_name", "sex", "date_of_birth", "ethnic_group",
             "citizenship", "marital_status", "education", "employment_status", "occupation",
             "monthly_income_encrypted", "household", "household_role", "mother", "father", "email", "mobile",
             "source_agency", "verified_at", "synthetic"],
    Business: ["id", "uen", "name", "entity_type", "industry", "registered_on", "status", "address", "source_agency",
               "verified_at", "synthetic"],
    BusinessRole: ["id", "business", "person", "role", "since"],
}


_NATIONAL_ID_COLUMN = COLUMNS[Person].index("national_id_encrypted")
_INCOME_COLUMN = COLUMNS[Person].index("monthly_income_encrypted")


@dataclass(frozen=True)
class FirstIds:
    """The first primary key to use in each table (1 on an empty database)."""

    address: int = 1
    household: int = 1
    person: int = 1
    business: int = 1
    business_role: int = 1


@dataclass(frozen=True)
class DemoPeople:
    citizen_id: int
    citizen_national_id: str
    spouse_id: int
    spouse_national_id: str
    baby_id: int
    business_owner_id: int
    business_owner_national_id: str
    business_id: int
    emails: dict[int, str]


_ALONE_AGES = _Weighted([((22, 34), 12), ((35, 49), 14), ((50, 64), 32), ((65, 94), 42)])
_COUPLE_AGES = _Weighted([((25, 34), 14), ((35, 54), 10), ((55, 69), 38), ((70, 94), 38)])
_MOTHER_AGES = _Weighted([((24, 34), 18), ((35, 44), 30), ((45, 54), 30), ((55, 66), 22)])
_CHILDREN = _Weighted([(1, 33), (2, 42), (3, 19), (4, 6)])
_RESIDENT_KINDS = _Weighted([("alone", 16), ("couple", 22), ("family", 37), ("three_generations", 12),
                             ("single_parent", 8), ("other", 5)])
_FOREIGN_KINDS = _Weighted([("family", 35), ("shared", 40), ("alone", 25)])


class NationGenerator:
    """Builds the nation household by household; `batches()` yields the rows chunk by chunk."""

    def __init__(self, *, residents: int, seed: int, today: dt.date, agency_ids: dict[str, int],
                 verified_at: Sequence[str], data_key: keys.DataKeyInUse, first: FirstIds = FirstIds(),
                 chunk: int = CHUNK_RESIDENTS) -> None:
        self.residents = residents
        self.data_key = data_key
        self.rng = _FastRandom(seed)  # noqa: S311 (synthetic data, not security)
        self.today = today
        self._today_ordinal = today.toordinal()
        self.chunk = chunk
        self.reg, self.hsg, self.biz = agency_ids["REG"], agency_ids["HSG"], agency_ids["BIZ"]
        self.verified_at = list(verified_at)
        self.ids = {"address": first.address, "household": first.household, "person": first.person,
                    "business": first.business, "business_role": first.business_role}
        self.national_ids = NationalIdAllocator(seed=seed)
        self.places = _Addresses(rng=self.rng)
        self._dates: dict[int, tuple[str, int]] = {}
        self._uen_counter = 0
        self._company_counter: dict[int, int] = {}
        self.generated = 0
        self.demo: DemoPeople | None = None
        self.households = 0
        self.businesses = 0

    # -- small pieces ----------------------------------------------------------------------------------

    def _next(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _date(self, ordinal: int) -> tuple[str, int]:
        cached = self._dates.get(ordinal)
        if cached is None:
            day = dt.date.fromordinal(ordinal)
            cached = self._dates[ordinal] = (day.isoformat(), day.year)
        return cached

    def _born(self, person: _Resident, *, days_old: int | None = None) -> None:
        if days_old is None:
            days_old = int(person.age * 365.2425) + self.rng.randrange(365)
        person.dob, person.birth_year = self._date(self._today_ordinal - days_old)

    def _verified(self) -> str:
        return self.verified_at[self.rng.randrange(len(self.verified_at))]

    def _new(self, *, culture: str, sex: str, age: int, citizenship: str, marital: str, role: str) -> _Resident:
        return _Resident(pid=0, culture=culture, sex=sex, age=age, citizenship=citizenship,
                         marital=marital, role=role)

    def _marital_alone(self, age: int) -> str:
        r = self.rng.random()
        if age < 30:
            return "single" if r < 0.93 else "divorced"
        if age < 50:
            return "single" if r < 0.62 else ("divorced" if r < 0.92 else "widowed")
        if age < 70:
            return "single" if r < 0.3 else ("divorced" if r < 0.55 else "widowed")
        return "single" if r < 0.15 else ("divorced" if r < 0.25 else "widowed")

    # -- households ------------------------------------------------------------------------------------

    def _resident_citizenship(self, *, partner: str | None = None) -> str:
        r = self.rng.random()
        if partner == "citizen":
            return "citizen" if r < 0.85 else "permanent_resident"
        if partner == "permanent_resident":
            return "permanent_resident" if r < 0.75 else "citizen"
        return "citizen" if r < 0.86 else "permanent_resident"

    def _child_citizenship(self, *parents: _Resident) -> str:
        statuses = {p.citizenship for p in parents}
        if "foreigner" in statuses and len(statuses) == 1:
            return "foreigner"
        if "citizen" in statuses:
            return "citizen"
        return "permanent_resident" if self.rng.random() < 0.8 else "citizen"

    def _children(self, *, mother_age: int, culture: str, parents: list[_Resident], count: int) -> list[_Resident]:
        rng = self.rng
        children = []
        age_at_birth = rng.randint(24, 35)
        for _ in range(count):
            age = mother_age - age_at_birth
            if 0 <= age <= 34:  # older children have mostly moved out
                child = self._new(culture=culture, sex="F" if rng.random() < 0.49 else "M", age=age,
                                  citizenship=self._child_citizenship(*parents),
                                  marital="single" if age < 26 or rng.random() < 0.9 else "married", role="child")
                children.append(child)
            age_at_birth += rng.randint(1, 5)
        return children

    def _couple(self, *, culture: str, wife_age: int, foreign: bool) -> tuple[_Resident, _Resident]:
        rng = self.rng
        husband_age = max(21, wife_age + rng.randint(-2, 6))
        head_status = "foreigner" if foreign else self._resident_citizenship()
        husband = self._new(culture=culture, sex="M", age=husband_age, citizenship=head_status, marital="married",
                            role="head")
        wife_status = "foreigner" if foreign else self._resident_citizenship(partner=head_status)
        wife = self._new(culture=culture, sex="F", age=wife_age, citizenship=wife_status, marital="married",
                         role="spouse")
        if rng.random() < 0.2:  # in a fifth of couples the wife is the registered head
            husband.role, wife.role = "spouse", "head"
        return husband, wife

    def _household_members(self, *, foreign: bool) -> list[_Resident]:
        rng = self.rng
        if foreign:
            kind = _FOREIGN_KINDS.pick(rng)
            culture = _CULTURES_FOREIGN.pick(rng)
        else:
            kind = _RESIDENT_KINDS.pick(rng)
            culture = _CULTURES_CITIZEN.pick(rng) if rng.random() < 0.86 else _CULTURES_PR.pick(rng)
        sex = "F" if rng.random() < 0.5 else "M"
        if kind == "alone":
            age = rng.randint(23, 55) if foreign else _age_from_buckets(rng, _ALONE_AGES)
            if age >= 65 and rng.random() < 0.2:
                sex = "F"  # women outlive men: more older women live alone
            status = "foreigner" if foreign else self._resident_citizenship()
            return [self._new(culture=culture, sex=sex, age=age, citizenship=status,
                              marital="single" if foreign else self._marital_alone(age), role="head")]
        if kind == "couple":
            husband, wife = self._couple(culture=culture, wife_age=_age_from_buckets(rng, _COUPLE_AGES),
                                         foreign=foreign)
            return [husband, wife]
        if kind == "shared":
            # Work-permit holders sharing a rented flat; their families are abroad.
            mates = []
            for index in range(rng.randint(2, 5)):
                mate = self._new(culture=culture, sex=sex, age=rng.randint(21, 48), citizenship="foreigner",
                                 marital="single" if rng.random() < 0.6 else "married",
                                 role="other" if index else "head")
                mate.education = "primary" if rng.random() < 0.5 else "secondary"
                mate.employment, mate.occupation = "employed", rng.choice(_FOREIGN_WORK_OCCUPATIONS)
                mate.income = rng.randrange(12, 26) * 50
                mates.append(mate)
            return mates
        if kind == "other":
            first = self._new(culture=culture, sex=sex, age=rng.randint(25, 75),
                              citizenship=self._resident_citizenship(), marital="single", role="head")
            second = self._new(culture=culture, sex="F" if rng.random() < 0.5 else "M",
                               age=max(21, first.age + rng.randint(-8, 8)),
                               citizenship=self._resident_citizenship(partner=first.citizenship),
                               marital="single", role="other")
            return [first, second]
        if kind == "single_parent":
            mother_age = rng.randint(30, 60)
            parent = self._new(culture=culture, sex="F" if rng.random() < 0.8 else "M", age=mother_age,
                               citizenship=self._resident_citizenship(),
                               marital="divorced" if rng.random() < 0.7 else "widowed", role="head")
            children = self._children(mother_age=mother_age, culture=culture, parents=[parent],
                                      count=rng.randint(1, 3))
            for child in children:
                if parent.sex == "F":
                    child.mother = parent
                else:
                    child.father = parent
            return [parent, *children]
        # family and three generations
        wife_age = rng.randint(29, 52) if kind == "three_generations" else _age_from_buckets(rng, _MOTHER_AGES)
        if foreign:
            wife_age = rng.randint(28, 50)
        husband, wife = self._couple(culture=culture, wife_age=wife_age, foreign=foreign)
        children = self._children(mother_age=wife_age, culture=culture, parents=[husband, wife],
                                  count=_CHILDREN.pick(rng) if not foreign else rng.randint(0, 2))
        for child in children:
            child.mother, child.father = wife, husband
        elders: list[_Resident] = []
        if kind == "three_generations":
            # One or both parents of the husband (or of the wife) live with the family.
            own = husband if rng.random() < 0.65 else wife
            elder_age = min(98, own.age + rng.randint(24, 36))
            both = rng.random() < 0.35
            grandmother = self._new(culture=culture, sex="F", age=elder_age, citizenship=self._resident_citizenship(
                partner=own.citizenship), marital="married" if both else "widowed", role="parent")
            own.mother = grandmother
            elders.append(grandmother)
            if both:
                grandfather = self._new(culture=culture, sex="M", age=min(99, elder_age + rng.randint(0, 5)),
                                        citizenship=grandmother.citizenship, marital="married", role="parent")
                own.father = grandfather
                elders.append(grandfather)
        # Elders first: a person's row comes after the rows of the parents it points to.
        return [*elders, husband, wife, *children]

    def _finish_people(self, members: list[_Resident]) -> None:
        """Names (passed from parents to children), birth dates, learning, work and contact details."""
        rng = self.rng
        for person in members:
            if person.dob == "":
                self._born(person)
            father = person.father
            surname = ""
            if father is not None:
                surname = father.naming.surname
            elif person.role == "spouse" and person.sex == "F" and person.culture in _SHARED_SURNAME:
                head = next((m for m in members if m.role == "head" and m.sex == "M"), None)
                surname = head.naming.surname if head else ""
            elif person.role == "head" and person.sex == "F" and person.culture in _SHARED_SURNAME:
                husband = next((m for m in members if m.role == "spouse" and m.sex == "M"), None)
                surname = husband.naming.surname if husband and husband.naming.surname else ""
            if person.full_name == "":
                person.full_name, person.naming = name_generate(
                    rng=rng, culture=person.culture, sex=person.sex, age=person.age, surname=surname,
                    father_given=father.naming.given if father is not None else "",
                )
            if person.employment == "":
                person.education = _education(rng, age=person.age, birth_year=person.birth_year)
                person.employment, person.occupation, person.income = _work(
                    rng, age=person.age, sex=person.sex, education=person.education
                )
            if person.age >= 15:
                if person.email == "" and rng.random() < 0.85:
                    local = person.naming.given.lower().translate(_EMAIL_STRIP)
                    person.email = f"{local}{rng.randrange(10, 9999)}@{_EMAIL_DOMAINS[rng.randrange(3)]}"
                if person.mobile == "" and rng.random() < 0.95:
                    person.mobile = f"+65 {rng.choice('89')}{rng.randrange(1000):03d} {rng.randrange(10000):04d}"

    def _housing_type(self, members: list[_Resident]) -> str:
        rng = self.rng
        income = sum(m.income for m in members)
        foreign = members[0].citizenship == "foreigner"
        r = rng.random()
        if foreign and members[-1].role == "other":
            return "public_3room" if r < 0.4 else "public_4room"  # shared rented flats
        if foreign:
            landed, condo = (0.08, 0.75) if income > 8_000 else (0.0, 0.35)
        elif income > 25_000:
            landed, condo = 0.28, 0.42
        elif income > 15_000:
            landed, condo = 0.14, 0.38
        elif income > 9_000:
            landed, condo = 0.06, 0.22
        else:
            landed, condo = 0.02, 0.08
        if r < landed:
            return "landed"
        if r < landed + condo:
            return "condominium"
        size = len(members)
        return _PUBLIC_ROOMS_BY_SIZE[1 if size == 1 else 2 if size == 2 else 3 if size <= 4 else 5].pick(rng)

    def _address_row(self, *, housing_type: str) -> int:
        if housing_type == "landed":
            parts = self.places.landed()
        elif housing_type == "condominium":
            parts = self.places.condominium()
        elif housing_type == "":
            parts = self.places.commercial()
        else:
            parts = self.places.public()
        address_id = self._next("address")
        self._batch.addresses.append((address_id, *parts, housing_type, self.hsg, self._verified()))
        return address_id

    def _emit_household(self, members: list[_Resident], *, housing_type: str | None = None,
                        address: tuple[str, str, str, str] | None = None) -> int:
        for person in members:
            person.id = self._next("person")  # in row order, so parents' rows always come first
        self._finish_people(members)
        housing_type = housing_type or self._housing_type(members)
        if address is None:
            address_id = self._address_row(housing_type=housing_type)
        else:
            address_id = self._next("address")
            self._batch.addresses.append((address_id, *address, housing_type, self.hsg, self._verified()))
        household_id = self._next("household")
        verified = self._verified()
        self._batch.households.append((household_id, address_id, self.hsg, verified))
        self.households += 1
        persons = self._batch.persons
        for p in members:
            number = self.national_ids.allocate(citizenship=p.citizenship, birth_year=p.birth_year)
            # The number and the income are encrypted for the whole chunk at once (_sealed).
            persons.append((
                p.id, number,
                blind_index(value=number, context=NATIONAL_ID_CONTEXT), p.full_name, p.sex, p.dob,
                _ETHNIC_GROUP[p.culture], p.citizenship, p.marital, p.education, p.employment, p.occupation,
                p.income, household_id, p.role, p.mother.id if p.mother else None,
                p.father.id if p.father else None, p.email, p.mobile, self.reg, verified, True,
            ))
            self._national_ids_by_person[p.id] = number
            if p.employment == "self_employed":
                self._self_employed.append(p)
                self._home_address[p.id] = address_id
            elif p.employment == "employed":
                self._employed.append(p)
        self.generated += len(members)
        return address_id

    # -- businesses ------------------------------------------------------------------------------------

    def _uen(self, *, entity_type: str, year: int) -> str:
        if entity_type == "private_limited":
            sequence = self._company_counter.get(year, 0)
            self._company_counter[year] = sequence + 1
            if sequence >= 100_000:
                raise ValueError(f"More than 100,000 companies registered in {year}")
            return uen_make(digits=f"{year}{(sequence * 7_919 + year) % 100_000:05d}")
        k = self._uen_counter
        self._uen_counter = k + 1
        if k >= 9_000_000:
            raise ValueError("No business registration numbers left")
        return uen_make(digits=f"{10_000_000 + (k * 1_000_003) % 90_000_000:08d}")

    def _business(self, *, owner: _Resident, home_address: int | None, entity_type: str, name: str,
                  industry: str, registered: int, employees: int, partner: _Resident | None = None) -> int:
        rng = self.rng
        registered_on, year = self._date(registered)
        if home_address is not None and entity_type != "private_limited" and rng.random() < 0.35:
            address_id = home_address  # a home-based business
        else:
            # Commercial premises are not dwellings: the housing-type list has no value for them.
            address_id = self._address_row(housing_type="")
        business_id = self._next("business")
        self._batch.businesses.append((
            business_id, self._uen(entity_type=entity_type, year=year), name, entity_type, industry, registered_on,
            "live", address_id, self.biz, self._verified(), True,
        ))
        self.businesses += 1
        roles = self._batch.business_roles
        roles.append((self._next("business_role"), business_id, owner.id, "owner", registered_on))
        if entity_type == "private_limited":
            roles.append((self._next("business_role"), business_id, owner.id, "director", registered_on))
        if partner is not None:
            roles.append((self._next("business_role"), business_id, partner.id, "owner", registered_on))
        pool = self._employed
        for _ in range(min(employees, len(pool))):
            worker = pool.pop()
            start = max(registered, self._today_ordinal - int((worker.age - 18) * 365.25))
            since = start + rng.randrange(max(1, self._today_ordinal - start))
            roles.append((self._next("business_role"), business_id, worker.id, "employee", self._date(since)[0]))
        return business_id

    def _businesses_for_chunk(self) -> None:
        """Most self-employed people run a registered business; employees come from the chunk's workers."""
        rng = self.rng
        rng.shuffle(self._employed)
        owners = self._self_employed
        for index, owner in enumerate(owners):
            if rng.random() >= 0.6:
                continue  # freelancers without a registered business
            industry, trades = _INDUSTRIES[rng.randrange(len(_INDUSTRIES))]
            r = rng.random()
            entity_type = "sole_proprietorship" if r < 0.55 else "partnership" if r < 0.65 else "private_limited"
            trade = rng.choice(trades)
            partner = None
            if entity_type == "private_limited":
                name = f"{rng.choice(_COMPANY_WORDS)} {trade} Pte. Ltd."
                employees = min(300, int(rng.lognormvariate(1.3, 1.1)))
            elif entity_type == "partnership":
                partner = owners[index - 1] if index else None
                second = f" & {partner.naming.given.split()[0]}" if partner is not None else " & Partners"
                name = f"{owner.naming.given.split()[0]}{second} {trade}"
                employees = rng.randint(0, 8)
            else:
                label = owner.naming.surname or owner.naming.given.split()[0]
                name = f"{label} {trade}" if rng.random() < 0.5 else f"{rng.choice(_COMPANY_WORDS)} {trade}"
                employees = 0 if rng.random() < 0.7 else rng.randint(1, 3)
            earliest = max(self._today_ordinal - 40 * 365, self._today_ordinal - int((owner.age - 21) * 365.25))
            registered = earliest + rng.randrange(max(1, self._today_ordinal - 30 - earliest))
            self._business(owner=owner, home_address=self._home_address_of(owner), entity_type=entity_type,
                           name=name, industry=industry, registered=registered, employees=employees,
                           partner=partner)

    def _home_address_of(self, person: _Resident) -> int | None:
        return self._home_address.get(person.id)

    # -- the demo families -----------------------------------------------------------------------------

    def _demo_households(self) -> None:
        """The people the demo signs in as: a young family with a newborn, and a business owner's family."""
        rng = self.rng
        hafiz = self._new(culture="malay", sex="M", age=34, citizenship="citizen", marital="married", role="head")
        hafiz.full_name, hafiz.naming = "Muhammad Hafiz bin Ismail", Naming("Muhammad Hafiz", "")
        aisyah = self._new(culture="malay", sex="F", age=32, citizenship="citizen", marital="married", role="spouse")
        aisyah.full_name, aisyah.naming = "Nur Aisyah binte Abdul Rahman", Naming("Nur Aisyah", "")
        baby = self._new(culture="malay", sex="M", age=0, citizenship="citizen", marital="single", role="child")
        baby.full_name, baby.naming = "Adam Irfan bin Muhammad Hafiz", Naming("Adam Irfan", "")
        baby.mother, baby.father = aisyah, hafiz
        self._born(hafiz, days_old=34 * 365 + 200)
        self._born(aisyah, days_old=32 * 365 + 120)
        self._born(baby, days_old=42)  # six weeks old: the Baby Bonus journey
        hafiz.education, hafiz.employment, hafiz.occupation, hafiz.income = (
            "diploma", "employed", "Engineering assistant", 4_600)
        aisyah.education, aisyah.employment, aisyah.occupation, aisyah.income = (
            "degree", "employed", "Teacher", 5_200)
        baby.education, baby.employment = "", "child"
        hafiz.email, hafiz.mobile = DEMO_SPOUSE_EMAIL, "+65 9234 5678"
        aisyah.email, aisyah.mobile = DEMO_CITIZEN_EMAIL, "+65 9123 4567"
        self._emit_household([hafiz, aisyah, baby], housing_type="public_4room",
                             address=("681", "Punggol Drive", "#08-123", "820681"))

        owner = self._new(culture="chinese", sex="M", age=45, citizenship="citizen", marital="married", role="head")
        owner.full_name, owner.naming = "Tan Wei Ming", Naming("Wei Ming", "Tan")
        wife = self._new(culture="chinese", sex="F", age=43, citizenship="citizen", marital="married", role="spouse")
        wife.full_name, wife.naming = "Lim Hui Min", Naming("Hui Min", "Lim")
        daughter = self._new(culture="chinese", sex="F", age=14, citizenship="citizen", marital="single",
                             role="child")
        daughter.full_name, daughter.naming = "Tan Jia Hui", Naming("Jia Hui", "Tan")
        son = self._new(culture="chinese", sex="M", age=11, citizenship="citizen", marital="single", role="child")
        son.full_name, son.naming = "Tan Jun Jie", Naming("Jun Jie", "Tan")
        for child in (daughter, son):
            child.mother, child.father = wife, owner
        owner.education, owner.employment, owner.occupation, owner.income = (
            "degree", "self_employed", "Company director", 9_800)
        wife.education, wife.employment, wife.occupation, wife.income = (
            "degree", "employed", "Accountant", 6_900)
        owner.email, owner.mobile = DEMO_BUSINESS_OWNER_EMAIL, "+65 9345 6789"
        self._emit_household([owner, wife, daughter, son], housing_type="condominium",
                             address=("18", "Tanjong Rhu Road", "#11-04", "436018"))
        self._self_employed.remove(owner)  # the demo business is made here, not drawn at random
        business_id = self._business(
            owner=owner, home_address=None, entity_type="private_limited", name="Harbourlight Coffee Pte. Ltd.",
            industry="Food and beverage", registered=self._today_ordinal - 6 * 365 - 40, employees=0,
        )
        self._demo_business_pending = business_id
        self.demo = DemoPeople(
            citizen_id=aisyah.id, citizen_national_id=self._national_ids_by_person[aisyah.id],
            spouse_id=hafiz.id, spouse_national_id=self._national_ids_by_person[hafiz.id], baby_id=baby.id,
            business_owner_id=owner.id, business_owner_national_id=self._national_ids_by_person[owner.id],
            business_id=business_id,
            emails={aisyah.id: DEMO_CITIZEN_EMAIL, hafiz.id: DEMO_SPOUSE_EMAIL, owner.id: DEMO_BUSINESS_OWNER_EMAIL},
        )
        _ = rng  # the demo families use fixed values; the generator's sequence continues after them

    def _demo_business_staff(self) -> None:
        """Give the demo business six employees from the first chunk's workers."""
        business_id = self._demo_business_pending
        if business_id is None:
            return
        self._demo_business_pending = None
        for worker in self._employed[-6:]:
            self._employed.remove(worker)
            self._batch.business_roles.append((
                self._next("business_role"), business_id, worker.id, "employee",
                self._date(self._today_ordinal - self.rng.randrange(30, 6 * 365))[0],
            ))

    # -- the loop --------------------------------------------------------------------------------------

    def _start_batch(self) -> None:
        self._batch = Batch()
        self._self_employed: list[_Resident] = []
        self._employed: list[_Resident] = []
        self._home_address: dict[int, int] = {}
        self._national_ids_by_person: dict[int, str] = {}

    def _sealed(self, rows: list[tuple]) -> list[tuple]:
        """Person rows with the national ID and income columns encrypted, bound to their column and row."""
        count = len(rows)
        plaintexts = [row[_NATIONAL_ID_COLUMN] for row in rows] + [str(row[_INCOME_COLUMN]) for row in rows]
        contexts = [row_context(context=NATIONAL_ID_CONTEXT, row_id=row[0]) for row in rows] + [
            row_context(context=MONTHLY_INCOME_CONTEXT, row_id=row[0]) for row in rows
        ]
        sealed = encrypt_many(plaintexts=plaintexts, contexts=contexts, key=self.data_key)
        return [
            (*row[:_NATIONAL_ID_COLUMN], sealed[i], *row[_NATIONAL_ID_COLUMN + 1 : _INCOME_COLUMN],
             sealed[count + i], *row[_INCOME_COLUMN + 1 :])
            for i, row in enumerate(rows)
        ]

    def batches(self) -> Iterator[Batch]:
        self._demo_business_pending: int | None = None
        self._start_batch()
        if self.residents >= 7:
            self._demo_households()
        demo_pending = self.demo
        while self.generated < self.residents:
            target = min(self.residents, self.generated + self.chunk)
            while self.generated < target:
                members = self._household_members(foreign=self.rng.random() < 0.13)
                # A household may run over a chunk's boundary (households are never split), but the nation
                # must have exactly `residents` people: a household that does not fit becomes one person.
                if self.generated + len(members) > self.residents:
                    age = _age_from_buckets(self.rng, _ALONE_AGES)
                    members = [self._new(culture=_CULTURES_CITIZEN.pick(self.rng), sex="F", age=age,
                                         citizenship="citizen", marital=self._marital_alone(age), role="head")]
                self._emit_household(members)
            self._demo_business_staff()
            self._businesses_for_chunk()
            self._batch.demo, demo_pending = demo_pending, None  # the demo families are in the first batch
            self._batch.persons = self._sealed(self._batch.persons)
            yield self._batch
            self._start_batch()
        if self._batch.persons:
            self._batch.demo = demo_pending
            self._batch.persons = self._sealed(self._batch.persons)
            yield self._batch  # a nation of only the demo families


# ---------------------------------------------------------------------------------------------------------
# The bulk loader
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationLoaded:
    residents: int
    households: int
    addresses: int
    businesses: int
    business_roles: int
    demo: DemoPeople


class _BulkWriter:
    """Writes the generated rows in bulk (platform/bulk.py), then brings PostgreSQL's sequences up to date."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.vendor = connection.vendor

    def write(self, model: type[Model], rows: list[tuple]) -> None:
        if rows:
            rows_insert(model=model, fields=COLUMNS[model], rows=rows)

    def sequences_reset(self) -> None:
        """Primary keys were assigned here, so PostgreSQL's sequences must catch up with them."""
        if self.vendor != "postgresql":
            return
        for model in COLUMNS:
            table = model._meta.db_table
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))",  # noqa: S608 (table names from models)
                [table],
            )


@contextlib.contextmanager
def _foreign_key_triggers_skipped(cursor: Any) -> Iterator[None]:
    """On PostgreSQL, skip the per-row foreign-key triggers while loading, as pg_restore does with
    --disable-triggers: the generator writes parents before children and tests check every reference, and
    queueing a deferred check per reference would otherwise cost more at commit than the COPY itself.

    Needs a superuser (or SET permission on the setting); without it the load runs with the checks on.
    """
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with transaction.atomic():  # a savepoint: a refused SET must not abort the seeding transaction
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        yield
        return
    try:
        yield
    finally:
        cursor.execute("SET LOCAL session_replication_role = origin")  # other blocks' triggers are back on


@contextlib.contextmanager
def _large_cache(cursor: Any) -> Iterator[None]:
    """On SQLite, a page cache big enough for the indexes being filled (random keys such as the blind index
    touch pages all over the b-tree; with the default 2 MB cache most inserts would reread a page)."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (previous,) = cursor.fetchone()
    cursor.execute("PRAGMA cache_size = -524288")  # KiB: 512 MB, released when the load is done
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _first_ids() -> FirstIds:
    def after(model: type[Model]) -> int:
        return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1

    return FirstIds(address=after(Address), household=after(Household), person=after(Person),
                    business=after(Business), business_role=after(BusinessRole))


def _verified_at_choices(*, seed: int, now: dt.datetime) -> list[str]:
    """Moments in the last three years at which records were verified, in the database's own text form."""
    rng = random.Random(f"verified:{seed}")  # noqa: S311 (synthetic data, not security)
    moments = []
    for _ in range(512):
        moment = now - dt.timedelta(days=rng.randint(1, 3 * 365), seconds=rng.randrange(9 * 3600))
        moment = moment.astimezone(dt.UTC).replace(microsecond=0)
        if connection.vendor == "postgresql":
            moments.append(moment.isoformat(sep=" "))
        else:
            moments.append(moment.replace(tzinfo=None).isoformat(sep=" "))  # Django stores UTC, naive, on SQLite
    return moments


def _generated_ahead(generator: NationGenerator) -> Iterator[Batch]:
    """The generator's batches, made in a forked process while this one writes the previous batch.

    Generating is pure Python and writing mostly waits on the database, so the two overlap on two cores.
    A thread would not do: the writer releases the GIL for every row and then queues behind the generator
    for it. The child only generates; it never touches the database connection it inherited.
    """
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # a platform without fork: generate in line
        yield from generator.batches()
        return
    receiver, sender = context.Pipe(duplex=False)

    def produce() -> None:
        try:
            for batch in generator.batches():
                sender.send(batch)
            sender.send(None)
        except BaseException as error:  # noqa: BLE001 (reported to the parent, which raises it)
            sender.send(RuntimeError(f"Generating the nation failed: {error!r}"))
        finally:
            sender.close()

    child = context.Process(target=produce, name="nation-generator", daemon=True)
    child.start()
    sender.close()
    try:
        while (item := receiver.recv()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()


def population_load(
    *, residents: int, seed: int, agency_ids: dict[str, int], today: dt.date | None = None, progress: bool = False
) -> PopulationLoaded:
    """Generate and write the nation's addresses, households, persons, businesses and business roles.

    Call inside a transaction: either the whole nation is written or none of it.
    """
    if residents < 7:
        raise ValueError("A nation needs at least 7 residents: the demo families alone have 7.")
    today = today or timezone.localdate()
    generator = NationGenerator(
        residents=residents, seed=seed, today=today, agency_ids=agency_ids,
        verified_at=_verified_at_choices(seed=seed, now=timezone.now()), first=_first_ids(),
        data_key=keys.primary_key(),
    )
    totals = dict.fromkeys(["addresses", "households", "persons", "businesses", "business_roles"], 0)
    demo: DemoPeople | None = None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=residents, unit=" residents", unit_scale=True, desc="Seeding the nation")
    with connection.cursor() as cursor, _large_cache(cursor), _foreign_key_triggers_skipped(cursor):
        writer = _BulkWriter(cursor)
        batches = _generated_ahead(generator) if residents > CHUNK_RESIDENTS else generator.batches()
        for batch in batches:
            demo = demo or batch.demo
            # Parents before children: the order keeps every foreign key pointing at a row already written.
            writer.write(Address, batch.addresses)
            writer.write(Household, batch.households)
            writer.write(Person, batch.persons)
            writer.write(Business, batch.businesses)
            writer.write(BusinessRole, batch.business_roles)
            for name in totals:
                totals[name] += len(getattr(batch, name))
            if bar is not None:
                bar.update(len(batch.persons))
        writer.sequences_reset()
    if bar is not None:
        bar.close()
    if demo is None:
        raise RuntimeError("The demo families were not generated")
    return PopulationLoaded(
        residents=totals["persons"], households=totals["households"], addresses=totals["addresses"],
        businesses=totals["businesses"], business_roles=totals["business_roles"], demo=demo,
    )


# ---------------------------------------------------------------------------------------------------------
# What the platform's seeding needs to know afterwards
# ---------------------------------------------------------------------------------------------------------


def nation_counts() -> dict[str, int]:
    return {
        "residents": Person.objects.count(),
        "households": Household.objects.count(),
        "businesses": Business.objects.count(),
        "addresses": Address.objects.count(),
        "business_roles": BusinessRole.objects.count(),
    }


def national_ids_of(*, person_ids: Sequence[int]) -> dict[int, str]:
    """The demo people's national ID numbers, decrypted for the demo sign-in instructions only."""
    return {person.pk: national_id_of(person) for person in Person.objects.filter(pk__in=person_ids)}


def agency_ids_get() -> dict[str, int]:
    return dict(Agency.objects.values_list("code", "id"))

