#!/usr/bin/env python
"""Build the files in ``sample_data/`` deterministically.

Writes three CSV files:

``german_credit.csv``
    UCI Statlog (German Credit Data), 1,000 rows, with the A-codes decoded into short labels.
``adult.csv``
    UCI Adult (Census Income), train and test files stacked, 48,842 rows.
``people.csv``
    A synthetic data set of 5,000 people with direct identifiers, quasi-identifiers, a sensitive
    attribute and a loan decision, generated with a fixed seed.

The two UCI data sets are read from a local copy of the raw files (``--source``, default
``../shared/datasets`` next to the repository, or the ``RAI_RAW_DATASETS`` environment variable);
nothing is downloaded. Only numpy and pandas are used, and running the script twice gives
byte-identical files.

Usage::

    python scripts/build_sample_data.py                      # all three into sample_data/
    python scripts/build_sample_data.py --out /tmp/x --only people
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "sample_data"
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "datasets"

PEOPLE_SEED = 20261129
PEOPLE_ROWS = 5000
DATASET_NAMES = ("german_credit", "adult", "people")

# --------------------------------------------------------------------------------------------
# German Credit
# --------------------------------------------------------------------------------------------

GERMAN_COLUMNS = [
    "status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "present_employment",
    "installment_rate",
    "status_sex",
    "other_debtors",
    "present_residence_since",
    "property",
    "age",
    "installment_plans",
    "housing",
    "number_of_existing_credits",
    "job",
    "number_of_people_liable_for",
    "telephone",
    "foreign_worker",
    "credit",
]

# Short labels for the coded columns. Keys must be exactly the codes in values_maps.json (checked
# at run time); the long descriptions there are the authority for what each code means.
GERMAN_SHORT_LABELS: dict[str, dict[str, str]] = {
    "status": {
        "A11": "< 0 DM",
        "A12": "0-200 DM",
        "A13": ">= 200 DM",
        "A14": "no checking account",
    },
    "credit_history": {
        "A30": "no credits/all paid",
        "A31": "all paid at this bank",
        "A32": "existing paid duly",
        "A33": "past delays",
        "A34": "critical account",
    },
    "purpose": {
        "A40": "new car",
        "A41": "used car",
        "A42": "furniture/equipment",
        "A43": "radio/tv",
        "A44": "domestic appliances",
        "A45": "repairs",
        "A46": "education",
        "A47": "vacation",
        "A48": "retraining",
        "A49": "business",
        "A410": "others",
    },
    "savings": {
        "A61": "< 100 DM",
        "A62": "100-500 DM",
        "A63": "500-1000 DM",
        "A64": ">= 1000 DM",
        "A65": "unknown/none",
    },
    "present_employment": {
        "A71": "unemployed",
        "A72": "< 1 year",
        "A73": "1-4 years",
        "A74": "4-7 years",
        "A75": ">= 7 years",
    },
    "status_sex": {
        "A91": "male divorced/separated",
        "A92": "female divorced/separated/married",
        "A93": "male single",
        "A94": "male married/widowed",
        "A95": "female single",
    },
    "other_debtors": {
        "A101": "none",
        "A102": "co-applicant",
        "A103": "guarantor",
    },
    "property": {
        "A121": "real estate",
        "A122": "savings agreement/life insurance",
        "A123": "car or other",
        "A124": "unknown/none",
    },
    "installment_plans": {
        "A141": "bank",
        "A142": "stores",
        "A143": "none",
    },
    "housing": {
        "A151": "rent",
        "A152": "own",
        "A153": "for free",
    },
    "job": {
        "A171": "unskilled non-resident",
        "A172": "unskilled resident",
        "A173": "skilled employee",
        "A174": "management/highly qualified",
    },
}

GERMAN_FEMALE_CODES = frozenset({"A92", "A95"})


def _yes_no(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    raise ValueError(f"expected a boolean in values_maps.json, got {value!r}")


def build_german(source: Path) -> pd.DataFrame:
    """Decode ``german/german.data`` with ``german/values_maps.json``."""
    raw_path = source / "german" / "german.data"
    maps = json.loads((source / "german" / "values_maps.json").read_text(encoding="utf-8"))

    rows = [line.split() for line in raw_path.read_text(encoding="ascii").splitlines()]
    rows = [row for row in rows if row]
    bad = [i for i, row in enumerate(rows) if len(row) != len(GERMAN_COLUMNS)]
    if bad:
        raise ValueError(f"{raw_path}: rows with the wrong number of fields: {bad[:5]}")
    raw = pd.DataFrame(rows, columns=GERMAN_COLUMNS)

    df = pd.DataFrame(index=raw.index)
    for column in GERMAN_COLUMNS:
        values = raw[column]
        if column in GERMAN_SHORT_LABELS:
            short = GERMAN_SHORT_LABELS[column]
            if set(short) != set(maps[column]):
                raise ValueError(f"short labels for {column!r} do not match values_maps.json")
            mapping = short
        elif column in ("telephone", "foreign_worker"):
            mapping = {code: _yes_no(flag) for code, flag in maps[column].items()}
        elif column == "credit":
            mapping = {code: str(label) for code, label in maps[column].items()}
        else:
            df[column] = values.astype("int64")
            continue
        unknown = sorted(set(values) - set(mapping))
        if unknown:
            raise ValueError(f"{raw_path}: unknown codes in {column!r}: {unknown}")
        df[column] = values.map(mapping).astype(object)

    df["sex"] = np.where(raw["status_sex"].isin(GERMAN_FEMALE_CODES), "female", "male")
    df["age_group"] = np.where(df["age"] < 25, "under 25", "25 and over")
    if len(df) != 1000:
        raise ValueError(f"{raw_path}: expected 1000 rows, got {len(df)}")
    return df


# --------------------------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------------------------

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
ADULT_INT_COLUMNS = [
    "age",
    "fnlwgt",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
]


def _read_adult_file(path: Path, skiprows: int) -> pd.DataFrame:
    df = pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skiprows=skiprows,
        skipinitialspace=True,
        na_values=["?"],
        keep_default_na=False,
        dtype=str,
        skip_blank_lines=True,
    )
    for column in ADULT_INT_COLUMNS:
        if df[column].isna().any():
            raise ValueError(f"{path}: missing values in numeric column {column!r}")
        df[column] = df[column].astype("int64")
    return df


def adult_age_group(age: pd.Series) -> np.ndarray:
    """Four age bands: under 25, 25-44, 45-64, 65 and over."""
    bands = np.array(["under 25", "25-44", "45-64", "65 and over"], dtype=object)
    return bands[np.digitize(age.to_numpy(), [25, 45, 65])]


def build_adult(source: Path) -> pd.DataFrame:
    """Stack ``adult.data`` (train) and ``adult.test`` (test) with cleaned labels."""
    train = _read_adult_file(source / "adult" / "adult.data", skiprows=0)
    test = _read_adult_file(source / "adult" / "adult.test", skiprows=1)
    train["split"] = "train"
    test["split"] = "test"
    df = pd.concat([train, test], ignore_index=True)

    df["income"] = df["income"].str.strip().str.rstrip(".")
    labels = set(df["income"].unique())
    if labels != {"<=50K", ">50K"}:
        raise ValueError(f"unexpected income labels: {sorted(map(str, labels))}")
    df["income_over_50k"] = (df["income"] == ">50K").astype("int64")
    df["age_group"] = adult_age_group(df["age"])
    df = df[[*ADULT_COLUMNS, "income_over_50k", "age_group", "split"]]
    if len(df) != 48842:
        raise ValueError(f"expected 48842 Adult rows, got {len(df)}")
    return df


# --------------------------------------------------------------------------------------------
# People (synthetic)
# --------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Split a whitespace-separated block of words into a list."""
    return text.split()


FEMALE_FIRST_NAMES = _words(
    """
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah
Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma
Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather
Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan
Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice
Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn Danielle Beverly Isabella
Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Ava Mia Priya Mei Aisha Fatima
Lucia Rosa Guadalupe Ana Carmen Yesenia Ling Keiko Ngozi Imani Aaliyah Destiny Jasmine Maya Leah
Chloe Zoe Nora Layla Camila Valentina Sofia Elena Ines Yuki Hana Anjali Deepa Chen Xin Thu Linh
Farah Leila Noor Amara Zainab Esperanza Marisol Ximena
"""
)

MALE_FIRST_NAMES = _words(
    """
James Robert John Michael David William Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward
Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin
Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan
Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald
Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan
Albert Willie Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip
Louis Liam Lucas Oliver Mateo Diego Carlos Luis Miguel Jorge Alejandro Rahul Arjun Vikram Wei
Jun Hiroshi Kenji Minh Duc Tuan Omar Ahmed Hassan Ali Yusuf Kwame Chinedu Malik Darnell DeShawn
Jamal Andre Marcus Terrence Xavier Hector Rafael Santiago Emilio Ivan Dmitri Sergei Tomasz Piotr
Lars Sven Mohammed Ibrahim Jin Hyun Sanjay Amit
"""
)

LAST_NAMES = _words(
    """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter
Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson
Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena
Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada
Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison
Franklin Carlson Austin Dominguez Carr Lawson Jacobs Obrien Lynch Singh Vega Bishop Montgomery
Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy
Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla
Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman
Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina
Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala
Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris
Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon Barker
Terry Hale Leon Benson Haynes Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera
McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy Love Robles Cervantes Solis Erickson
Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon Velasquez Hardy Higgins Aguirre
"""
)

STREET_NAMES = _words(
    """
Oak Maple Pine Cedar Elm Washington Lake Hill Park Main Walnut Spruce Ridge Lincoln Church
Willow Jefferson Sunset Highland Chestnut Franklin Adams Jackson Madison Meadow Forest River
Spring Center Mill Cherry Hickory Dogwood Magnolia Laurel Valley Lakeview Birch Ash Prospect
Union Front Water Grove Jones Smith Sycamore Poplar Railroad Summit Bridge School College Locust
Harrison Mulberry
"""
)

STREET_SUFFIXES = [
    "Street",
    "Avenue",
    "Road",
    "Lane",
    "Drive",
    "Court",
    "Boulevard",
    "Way",
    "Place",
]
STREET_SUFFIX_WEIGHTS = [0.30, 0.20, 0.12, 0.10, 0.12, 0.06, 0.03, 0.04, 0.03]

EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"]
EMAIL_DOMAIN_WEIGHTS = [0.45, 0.17, 0.14, 0.10, 0.09, 0.05]

# Six 3-digit ZIP prefixes (sectional centers) and the area code most people there have.
ZIP_REGIONS = [
    ("021", "617"),  # Boston, MA
    ("060", "860"),  # Hartford, CT
    ("100", "212"),  # New York, NY
    ("303", "404"),  # Atlanta, GA
    ("606", "312"),  # Chicago, IL
    ("941", "415"),  # San Francisco, CA
]
ZIPS_PER_PREFIX = 25
ZIP_REGION_WEIGHTS = [0.17, 0.09, 0.26, 0.14, 0.20, 0.14]
AREA_CODE_MATCH = 0.85  # share of people whose phone area code matches their ZIP region

ETHNICITIES = ["white", "hispanic", "black", "asian", "other"]
ETHNICITY_WEIGHTS = [0.58, 0.19, 0.13, 0.07, 0.03]
# Log-income shift and extra approval log-odds per ethnicity: the built-in, modest unfairness.
ETHNICITY_INCOME_SHIFT = {
    "white": 0.0,
    "hispanic": -0.12,
    "black": -0.15,
    "asian": 0.05,
    "other": -0.05,
}
ETHNICITY_APPROVAL_SHIFT = {
    "white": 0.0,
    "hispanic": -0.4,
    "black": -0.55,
    "asian": 0.0,
    "other": -0.2,
}

HEALTH_CONDITIONS = ["none", "hypertension", "asthma", "diabetes", "depression", "cancer"]

REFERENCE_DATE = date(2026, 1, 1)
BIRTH_START = date(1940, 1, 1)
BIRTH_END = date(2006, 12, 31)


def _zipf_weights(n: int, exponent: float = 0.9, offset: float = 2.0) -> np.ndarray:
    """Rank-based weights so that names near the top of a list are more common."""
    weights = 1.0 / (np.arange(n) + offset) ** exponent
    return weights / weights.sum()


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _email_local(rng: np.random.Generator, first: str, last: str, birth_year: int) -> str:
    """Name-based local part plus a number (often the birth year, as people do)."""
    f, la = first.lower(), last.lower()
    style = int(rng.choice(4, p=[0.45, 0.25, 0.15, 0.15]))
    base = (f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{f}_{la}")[style]
    kind = rng.random()
    if kind < 0.35:
        number = str(birth_year)
    elif kind < 0.55:
        number = f"{birth_year % 100:02d}"
    else:
        number = str(int(rng.integers(1, 1000)))
    return f"{base}{number}"


def build_people(seed: int = PEOPLE_SEED, n: int = PEOPLE_ROWS) -> pd.DataFrame:
    """Generate the synthetic ``people`` data set (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)

    female_names = _unique(FEMALE_FIRST_NAMES)
    male_names = _unique(MALE_FIRST_NAMES)
    last_names = _unique(LAST_NAMES)

    # Quasi-identifiers.
    sex = rng.choice(np.array(["female", "male"]), size=n, p=[0.51, 0.49])
    first_day = BIRTH_START.toordinal()
    last_day = BIRTH_END.toordinal()
    birth_ordinal = rng.integers(first_day, last_day + 1, size=n)
    birth_dates = [date.fromordinal(int(day)) for day in birth_ordinal]
    age_years = np.array(
        [
            REFERENCE_DATE.year
            - d.year
            - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (d.month, d.day))
            for d in birth_dates
        ]
    )

    zip_table: list[tuple[str, int]] = []  # (zip, region index)
    for region, (prefix, _area) in enumerate(ZIP_REGIONS):
        suffixes = np.sort(rng.choice(100, size=ZIPS_PER_PREFIX, replace=False))
        zip_table.extend((f"{prefix}{int(s):02d}", region) for s in suffixes)
    zip_weights = np.empty(len(zip_table))
    for i, (_zip, region) in enumerate(zip_table):
        zip_weights[i] = ZIP_REGION_WEIGHTS[region] * rng.gamma(2.0)
    region_totals = np.zeros(len(ZIP_REGIONS))
    for i, (_zip, region) in enumerate(zip_table):
        region_totals[region] += zip_weights[i]
    for i, (_zip, region) in enumerate(zip_table):
        zip_weights[i] *= ZIP_REGION_WEIGHTS[region] / region_totals[region]
    zip_weights /= zip_weights.sum()
    zip_index = rng.choice(len(zip_table), size=n, p=zip_weights)
    zip_codes = [zip_table[i][0] for i in zip_index]
    regions = np.array([zip_table[i][1] for i in zip_index])

    # Sensitive attributes.
    ethnicity = rng.choice(np.array(ETHNICITIES), size=n, p=ETHNICITY_WEIGHTS)
    health = []
    for age in age_years:
        older = max(age - 20, 0)
        weights = np.array(
            [
                0.0,  # "none": filled in below
                0.02 + 0.0045 * older,  # hypertension rises with age
                0.08,  # asthma
                0.015 + 0.0022 * older,  # diabetes
                0.07,  # depression
                0.003 + 0.0008 * older,  # cancer
            ]
        )
        weights[0] = max(1.0 - weights[1:].sum(), 0.3)
        health.append(HEALTH_CONDITIONS[int(rng.choice(6, p=weights / weights.sum()))])

    # Ordinary features.
    max_years = np.clip(age_years - 18, 0, 45)
    years_employed = np.floor(max_years * rng.beta(2.0, 2.2, size=n)).astype(np.int64)
    log_income = (
        np.log(42_000)
        + 0.022 * years_employed
        + np.array([ETHNICITY_INCOME_SHIFT[e] for e in ethnicity])
        + np.where(sex == "male", 0.06, 0.0)
        + rng.normal(0.0, 0.45, size=n)
    )
    annual_income = (np.round(np.exp(log_income) / 100.0) * 100).astype(np.int64)
    annual_income = np.clip(annual_income, 8_000, 750_000)

    # Outcome: logistic in income and years employed, with a modest ethnicity term.
    logit = (
        0.4
        + 1.6 * (np.log(annual_income) - np.log(50_000))
        + 0.035 * (years_employed - 10)
        + np.array([ETHNICITY_APPROVAL_SHIFT[e] for e in ethnicity])
    )
    approved = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    loan_approved = np.where(approved, "yes", "no")

    # Direct identifiers.
    female_p = _zipf_weights(len(female_names))
    male_p = _zipf_weights(len(male_names))
    last_p = _zipf_weights(len(last_names), exponent=0.8, offset=3.0)
    first_names = [
        female_names[int(rng.choice(len(female_names), p=female_p))]
        if s == "female"
        else male_names[int(rng.choice(len(male_names), p=male_p))]
        for s in sex
    ]
    surnames = [last_names[int(i)] for i in rng.choice(len(last_names), size=n, p=last_p)]
    full_names = [f"{f} {la}" for f, la in zip(first_names, surnames, strict=True)]

    emails: list[str] = []
    seen_emails: set[str] = set()
    for f, la, born in zip(first_names, surnames, birth_dates, strict=True):
        while True:
            domain = EMAIL_DOMAINS[int(rng.choice(len(EMAIL_DOMAINS), p=EMAIL_DOMAIN_WEIGHTS))]
            email = f"{_email_local(rng, f, la, born.year)}@{domain}"
            if email not in seen_emails:
                break
        seen_emails.add(email)
        emails.append(email)

    # Phone numbers use the 555 exchange, which is not normally assigned to subscribers in North
    # America (555-0100..0199 are formally reserved for fiction; 10,000 lines per area code are
    # needed here for unique numbers).
    phones: list[str] = []
    seen_phones: set[str] = set()
    for region in regions:
        if rng.random() < AREA_CODE_MATCH:
            area = ZIP_REGIONS[region][1]
        else:
            area = ZIP_REGIONS[int(rng.integers(len(ZIP_REGIONS)))][1]
        while True:
            phone = f"+1 {area}-555-{int(rng.integers(0, 10_000)):04d}"
            if phone not in seen_phones:
                break
        seen_phones.add(phone)
        phones.append(phone)

    # SSN-shaped ids: area 001-899 except 666, group 01-99, serial 0001-9999.
    national_ids: list[str] = []
    seen_ids: set[str] = set()
    while len(national_ids) < n:
        area_number = int(rng.integers(1, 900))
        if area_number == 666:
            continue
        group = int(rng.integers(1, 100))
        serial = int(rng.integers(1, 10_000))
        ssn = f"{area_number:03d}-{group:02d}-{serial:04d}"
        if ssn in seen_ids:
            continue
        seen_ids.add(ssn)
        national_ids.append(ssn)

    street_idx = rng.choice(len(STREET_NAMES), size=n)
    suffix_idx = rng.choice(len(STREET_SUFFIXES), size=n, p=STREET_SUFFIX_WEIGHTS)
    house_numbers = np.where(
        rng.random(n) < 0.7, rng.integers(1, 2000, size=n), rng.integers(2000, 10_000, size=n)
    )
    addresses = [
        f"{int(num)} {STREET_NAMES[int(s)]} {STREET_SUFFIXES[int(x)]}"
        for num, s, x in zip(house_numbers, street_idx, suffix_idx, strict=True)
    ]

    return pd.DataFrame(
        {
            "person_id": [f"P{i:05d}" for i in range(1, n + 1)],
            "full_name": full_names,
            "email": emails,
            "phone": phones,
            "national_id": national_ids,
            "street_address": addresses,
            "birth_date": [d.isoformat() for d in birth_dates],
            "zip_code": zip_codes,
            "sex": sex,
            "ethnicity": ethnicity,
            "health_condition": health,
            "annual_income": annual_income,
            "years_employed": years_employed,
            "loan_approved": loan_approved,
        }
    )


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a CSV with fixed formatting (UTF-8, LF line endings, empty cells for missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8", na_rep="")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=Path(os.environ.get("RAI_RAW_DATASETS", DEFAULT_SOURCE)),
        help="directory holding adult/ and german/ raw files "
        f"(default $RAI_RAW_DATASETS or {DEFAULT_SOURCE})",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=DATASET_NAMES,
        default=list(DATASET_NAMES),
        help="build only these data sets",
    )
    args = parser.parse_args(argv)

    builders = {
        "german_credit": lambda: build_german(args.source),
        "adult": lambda: build_adult(args.source),
        "people": build_people,
    }
    for name in DATASET_NAMES:
        if name not in args.only:
            continue
        if name != "people" and not args.source.is_dir():
            parser.error(f"raw data directory not found: {args.source} (use --source)")
        df = builders[name]()
        path = args.out / f"{name}.csv"
        write_csv(df, path)
        print(f"wrote {path} ({len(df)} rows, {len(df.columns)} columns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
