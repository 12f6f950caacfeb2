"""The consistency rules on what the applicant typed, as in the Rust robot's
``rules.rs``. Each rule looks at the dossier and reports anomalies in words
the applicant can act on; the robot never corrects anything itself."""

from dataclasses import dataclass

from pont_sdk import ds

INCORRECT = "incorrect"
INCOMPLETE = "incomplete"

# Yearly gross pay above which a typing error is more likely than a salary.
MAX_REMUNERATION = 200_000.0


@dataclass
class Anomaly:
    champ: str
    message: str
    kind: str


def wrong(champ, message):
    return Anomaly(champ, message, INCORRECT)


def missing(champ):
    return Anomaly(champ, "information manquante", INCOMPLETE)


def value(d, label):
    """The champ's value, ``None`` when the champ is absent or empty."""
    champ = d.champ_labelled(label)
    if champ is None or isinstance(champ.value, ds.ChampValue_Empty):
        return None
    return champ.value


def text_of(v):
    return None if v is None else v.as_text()


def number_of(v):
    return None if v is None else v.as_number()


def date_of(v):
    """A date champ's ``YYYY-MM-DD``, if it holds one."""
    if isinstance(v, ds.ChampValue_Date) and len(v.value) >= 10:
        return v.value[:10]
    return None


def check(d, today):
    """Every rule, in the order of the form."""
    out = []
    identity(d, out)
    dates(d, today, out)
    remuneration(d, out)
    siret(d, out)
    iban(d, out)
    return out


def identity(d, out):
    for label in ("Nom", "Prénom"):
        t = text_of(value(d, label))
        if t is None or not t.strip():
            out.append(missing(label))
    mail = text_of(value(d, "Courriel"))
    if mail is None:
        out.append(missing("Courriel"))
    elif not plausible_email(mail):
        out.append(wrong("Courriel", "l’adresse électronique n’a pas la forme nom@domaine"))
    m = number_of(value(d, "Matricule"))
    if m is None:
        out.append(missing("Matricule"))
    elif not 1.0 <= m <= 999_999_999.0:
        out.append(wrong("Matricule", "le matricule doit être un nombre de 1 à 9 chiffres"))


def plausible_email(mail):
    mail = mail.strip()
    user, at, domain = mail.partition("@")
    return bool(
        at
        and user
        and "." in domain
        and not domain.startswith(".")
        and not domain.endswith(".")
        and not any(c.isspace() for c in mail)
    )


def dates(d, today, out):
    """The entry date is not in the future, and no assignment starts before
    it or in the future."""
    entree = date_of(value(d, "Date d’entrée"))
    if entree is None:
        out.append(missing("Date d’entrée"))
        return
    if entree > today:
        out.append(wrong("Date d’entrée", f"la date d’entrée ({entree}) est dans le futur"))
    block = d.champ_labelled("Affectations")
    if block is None:
        return
    for i, row in enumerate(block.rows, start=1):
        cell = next((c for c in row.cells if c.label.strip() == "Début"), None)
        start = date_of(cell.value) if cell is not None else None
        if start is None:
            out.append(Anomaly("Affectations", f"affectation {i} : date de début manquante", INCOMPLETE))
        elif start < entree:
            out.append(wrong(
                "Affectations",
                f"affectation {i} : début ({start}) antérieur à la date d’entrée ({entree})",
            ))
        elif start > today:
            out.append(wrong("Affectations", f"affectation {i} : début ({start}) dans le futur"))


def remuneration(d, out):
    label = "Rémunération brute annuelle (€)"
    x = number_of(value(d, label))
    if x is None:
        out.append(missing(label))
    elif x <= 0.0 or x > MAX_REMUNERATION:
        out.append(wrong(label, f"montant hors des bornes plausibles (0 à {MAX_REMUNERATION:.0f} €)"))
    elif abs(round_half_away(x * 100.0) - x * 100.0) > 1e-6:
        out.append(wrong(label, "le montant a plus de deux décimales"))


def round_half_away(x):
    """Rust's ``f64::round`` (Python's ``round`` rounds half to even)."""
    whole = float(int(x))
    return whole + (1.0 if x - whole >= 0.5 else -1.0 if whole - x >= 0.5 else 0.0)


def siret(d, out):
    label = "SIRET de l’employeur"
    v = value(d, label)
    if not isinstance(v, ds.ChampValue_Siret):
        out.append(missing(label))
        return
    if not valid_siret(v.value.siret):
        out.append(wrong(label, "le SIRET doit comporter 14 chiffres et passer la clé de contrôle"))


def valid_siret(siret):
    """14 digits whose Luhn sum is a multiple of 10."""
    digits = [int(c) for c in siret if c in "0123456789"]
    if len(digits) != 14 or len(siret) != 14:
        return False
    total = 0
    for i, x in enumerate(reversed(digits)):
        y = x * 2 if i % 2 == 1 else x
        total += y - 9 if y > 9 else y
    return total % 10 == 0


def iban(d, out):
    """The IBAN has an IBAN's shape and check digits, and the RIB that proves
    it is attached."""
    t = text_of(value(d, "IBAN"))
    if t is None:
        out.append(missing("IBAN"))
    elif not valid_iban(t):
        out.append(wrong("IBAN", "l’IBAN n’est pas valide (format ou clé de contrôle)"))
    rib = d.champ_labelled("RIB")
    if rib is None or not rib.value.files():
        out.append(Anomaly(
            "RIB", "pièce justificative manquante : le RIB est obligatoire", INCOMPLETE,
        ))


def _ascii_upper(s):
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)


def valid_iban(text):
    """ISO 13616: country letters, two check digits, up to 30 letters or
    digits (27 characters in all for France), and the number mod 97 is 1."""
    s = _ascii_upper("".join(c for c in text if not c.isspace()))
    b = s.encode("utf-8")
    upper = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digit = b"0123456789"
    shape = (
        15 <= len(b) <= 34
        and all(c in upper for c in b[:2])
        and all(c in digit for c in b[2:4])
        and all(c in upper or c in digit for c in b[4:])
        and (not s.startswith("FR") or len(b) == 27)
    )
    if not shape:
        return False
    rem = 0
    for c in b[4:] + b[:4]:
        if c in digit:
            rem = (rem * 10 + c - 48) % 97
        else:
            rem = (rem * 100 + c - 65 + 10) % 97
    return rem == 1
