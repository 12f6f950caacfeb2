"""Where a checked declaration goes: the Excel export, the HR tool (SIRH)
and the activity report. Each step keeps its result in ``state`` under the
dossier, so a retry after a later step failed never repeats it."""

from dataclasses import dataclass

from pont_sdk import Failure, browser, ds, log, sheets, state, system

# The mount holding the export and the activity report.
MOUNT = "rapports"
# The Excel export of consistent declarations, one row per agent.
EXPORT = ("export-agents.xlsx", "Agents")
# The activity report, one row per dossier handled.
REPORT = ("rapport-activite.xlsx", "Activité")
# Wait for the page that follows a submit.
PAGE_WAIT_MS = 10_000


def once(number, step, run):
    """The result of ``step`` for this dossier: kept from an earlier attempt,
    or produced by ``run()`` now and kept at once."""
    key = f"dossier/{number}/{step}"
    with system("state"):
        done = state.get_string(key)
    if done is not None:
        return done
    result = run()
    with system("state"):
        state.set_string(key, result)
    return result


def forget(number):
    """Forgets the dossier's steps once its outcome is final."""
    prefix = f"dossier/{number}/"
    try:
        keys = state.keys(prefix)
    except Exception:
        keys = []
    for k in keys:
        try:
            state.delete(k)
        except Exception as e:
            log.warn(f"state: cannot forget {k}: {e!r}")


def _text(d, label):
    champ = d.champ_labelled(label)
    t = champ.value.as_text() if champ is not None else None
    return (t or "").strip()


@dataclass
class Agent:
    """A consistent declaration, as exported and entered in the SIRH."""

    matricule: str
    nom: str
    prenom: str
    courriel: str
    date_entree: str
    services: str
    region: str
    temps_complet: bool
    remuneration: float
    siret: str
    iban: str

    @classmethod
    def read(cls, d):
        """Reads a dossier the rules found consistent (so every value is there)."""
        def value(label):
            champ = d.champ_labelled(label)
            return None if champ is None else champ.value

        services = value("Services")
        if isinstance(services, ds.ChampValue_MultipleDropDown):
            services = ", ".join(services.value)
        else:
            services = (services.as_text() if services is not None else None) or ""
        region = value("Région d’affectation")
        if isinstance(region, ds.ChampValue_Region):
            region = region.value.name
        else:
            region = (region.as_text() if region is not None else None) or ""
        siret = value("SIRET de l’employeur")
        matricule = value("Matricule")
        matricule = matricule.as_number() if matricule is not None else None
        pay = value("Rémunération brute annuelle (€)")
        pay = pay.as_number() if pay is not None else None
        complet = value("Temps complet")
        return cls(
            matricule="" if matricule is None else f"{matricule:.0f}",
            nom=_text(d, "Nom"),
            prenom=_text(d, "Prénom"),
            courriel=_text(d, "Courriel"),
            date_entree=_text(d, "Date d’entrée"),
            services=services,
            region=region,
            temps_complet=isinstance(complet, (ds.ChampValue_YesNo, ds.ChampValue_Checkbox))
            and complet.value is True,
            remuneration=pay or 0.0,
            siret=siret.value.siret if isinstance(siret, ds.ChampValue_Siret) else "",
            iban="".join(_text(d, "IBAN").split()),
        )


def _append(book, row):
    """Appends one row to a sheet of a workbook of the mount and saves it."""
    with system("open workbook"):
        wb = sheets.Workbook.open(MOUNT, book[0])
    with wb:
        with system("append"):
            wb.append_rows(book[1], [row])
        with system("save"):
            wb.save()


def export(number, a):
    """The export row: dossier number first, then the declaration."""
    _append(EXPORT, [
        sheets.number(number),
        sheets.text(a.matricule),
        sheets.text(a.nom),
        sheets.text(a.prenom),
        sheets.text(a.courriel),
        sheets.date(a.date_entree),
        sheets.text(a.services),
        sheets.text(a.region),
        sheets.boolean(a.temps_complet),
        sheets.number(a.remuneration),
        sheets.text(a.siret),
        sheets.text(a.iban),
    ])
    return EXPORT[0]


def report(number, today, result, anomalies, sirh):
    """One line of the activity report: date, dossier, result, count of
    anomalies, and the SIRH number when there is one."""
    _append(REPORT, [
        sheets.date(today),
        sheets.number(number),
        sheets.text(result),
        sheets.number(anomalies),
        sheets.text(sirh),
    ])
    return REPORT[0]


def _fill(s, stable_id, text):
    with system("find"):
        element = s.find(browser.id(stable_id))
    with element, system("fill"):
        element.fill(text)


def sirh(base, a):
    """Enters the agent in the SIRH; returns its file number (``AG-…``)."""
    with system("open sirh"):
        s = browser.Session.open("sirh")
    with s:
        with system("goto"):
            s.goto(f"{base}/agents/nouveau")
        _fill(s, "matricule", a.matricule)
        _fill(s, "nom", a.nom)
        _fill(s, "prenom", a.prenom)
        _fill(s, "courriel", a.courriel)
        _fill(s, "date_entree", a.date_entree)
        _fill(s, "service", a.services)
        _fill(s, "region", a.region)
        with system("find"):
            choice = s.find(browser.id("temps_complet"))
        with choice, system("select"):
            choice.select("oui" if a.temps_complet else "non")
        with system("find"):
            button = s.find(browser.id("agent-enregistrer"))
        with button, system("click"):
            button.click()
        with system("wait"):
            shown = s.wait_for(browser.id("numero-agent"), PAGE_WAIT_MS)
        with shown, system("text"):
            numero = shown.text().strip()
    if not numero:
        raise Failure.system("SIRH: empty file number")
    return numero
