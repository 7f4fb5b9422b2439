"""HLA match grade and donor-specific antibodies. Pure: no database.

Typings are dicts ``{"a": ("A*02:01", "A*24:02"), "b": (...), "drb1": (...), ...}``. Matching
compares each locus at the resolution both typings share: at antigen level (the field before
the first colon, ``A*02``) unless both are typed to the allele.

- Match grade (cord-blood convention): matches out of 6 at HLA-A, -B and -DRB1, and out of 8
  when HLA-C is typed on both sides. A homozygous locus (one allele given) counts twice.
- Mismatched donor antigens: donor antigens the recipient lacks — the targets of donor-specific
  antibodies (DSA).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

_LOCUS_ALIASES = {"DR": "DRB1", "DQ": "DQB1", "CW": "C"}


def _antigen(allele: str) -> str:
    """``A*02:01:01`` → ``A*02``; ``A2`` / ``A02`` → ``A*02``; ``DR4`` → ``DRB1*04``."""
    text = allele.strip().upper().replace("HLA-", "")
    if "*" in text:
        locus, rest = text.split("*", 1)
    else:
        locus = text.rstrip("0123456789")
        rest = text[len(locus) :]
    locus = _LOCUS_ALIASES.get(locus, locus)
    field = rest.split(":")[0]
    if field.isdigit():
        field = f"{int(field):02d}"
    return f"{locus}*{field}" if field else locus


def _pair(alleles: tuple[str, ...]) -> list[str]:
    values = [a for a in alleles if a.strip()]
    if len(values) == 1:  # homozygous (or only one reported): the same allele twice
        values = values * 2
    return values


def _key(allele: str, *, high: bool) -> str:
    text = allele.strip().upper().replace("HLA-", "")
    if high and text.count(":") >= 1:
        return ":".join(text.split(":")[:2])
    return _antigen(text)


def _is_high(alleles: tuple[str, ...]) -> bool:
    return bool(alleles) and all(":" in a for a in alleles if a.strip())


def locus_matches(donor: tuple[str, ...], recipient: tuple[str, ...]) -> int:
    """How many of the donor's two alleles at one locus the recipient shares (0–2)."""
    high = _is_high(donor) and _is_high(recipient)
    d = Counter(_key(a, high=high) for a in _pair(donor))
    r = Counter(_key(a, high=high) for a in _pair(recipient))
    return sum((d & r).values())


@dataclass(frozen=True)
class MatchGrade:
    matched: int
    out_of: int
    loci: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.matched}/{self.out_of}"


def match_grade(
    donor: dict[str, tuple[str, ...]], recipient: dict[str, tuple[str, ...]]
) -> MatchGrade:
    """Match grade of a donor to a recipient.

    >>> d = {"a": ("A*02:01", "A*24:02"), "b": ("B*07:02", "B*08:01"), "drb1": ("DRB1*15:01",)}
    >>> r = {"a": ("A*02:01", "A*01:01"), "b": ("B*07:02", "B*08:01"),
    ...      "drb1": ("DRB1*15:01", "DRB1*04:01")}
    >>> str(match_grade(d, r))
    '4/6'
    """
    loci = ["a", "b", "drb1"]
    if donor.get("c") and recipient.get("c"):
        loci.insert(2, "c")
    matched = sum(locus_matches(donor.get(x, ()), recipient.get(x, ())) for x in loci)
    return MatchGrade(matched=matched, out_of=2 * len(loci), loci=tuple(loci))


def mismatched_donor_antigens(
    donor: dict[str, tuple[str, ...]], recipient: dict[str, tuple[str, ...]]
) -> set[str]:
    """Donor antigens (antigen level) that the recipient does not carry.

    >>> sorted(mismatched_donor_antigens({"a": ("A*02:01", "A*24:02")}, {"a": ("A2", "A1")}))
    ['A*24']
    """
    mine = {_antigen(a) for alleles in recipient.values() for a in alleles if a.strip()}
    theirs = {_antigen(a) for alleles in donor.values() for a in alleles if a.strip()}
    return theirs - mine


def parse_specificities(text: str) -> set[str]:
    """``"A2, B7, DR4"`` → ``{"A*02", "B*07", "DRB1*04"}`` (antigen level)."""
    return {_antigen(part) for part in text.replace(";", ",").split(",") if part.strip()}


def donor_specific(specificities: str, mismatched: set[str]) -> set[str]:
    """Antibody specificities directed at mismatched donor antigens.

    >>> sorted(donor_specific("A24, B44", {"A*24", "DRB1*04"}))
    ['A*24']
    """
    return parse_specificities(specificities) & mismatched
