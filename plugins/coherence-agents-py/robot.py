"""coherence-agents, in Python: the same robot as ``plugins/coherence-agents``
(Rust), passing the same end-to-end test.

Agents' declarations (démarche "Déclaration d’agents"): the robot checks what
the applicant typed against consistency rules (dates, amounts, SIRET, IBAN,
the RIB attachment; see ``rules.py``).

- **Inconsistent**: the applicant gets a DS message listing every anomaly,
  sent as a correction request (``incomplete`` when only things are missing,
  else ``incorrect``); the annotations say what was found.
- **Consistent**: the dossier is passed en instruction (the data must not
  change once exported), exported as a row of the Excel export, entered in
  the HR tool (SIRH), and annotated.

Either way a row goes to the Excel activity report. Settings: ``sirh``, the
base URL of the HR tool.
"""

import outputs
import rules
from pont_sdk import Failure, Outcome, Robot, ds, export, log, system, today


def correction_message(anomalies):
    """The message the applicant reads: every anomaly, by champ."""
    lines = "\n".join(f"- {a.champ} : {a.message}" for a in anomalies)
    return (
        "Bonjour,\n\nLa vérification de votre déclaration a relevé les points suivants :\n"
        f"{lines}\n\n"
        "Merci de corriger votre dossier ; il sera de nouveau vérifié ensuite.\n\n"
        "Le service des ressources humaines"
    )


def reason(anomalies):
    """``incomplete`` when only things are missing, else ``incorrect``."""
    if all(a.kind == rules.INCOMPLETE for a in anomalies):
        return ds.CorrectionReason.INCOMPLETE
    return ds.CorrectionReason.INCORRECT


def annotate(d, anomalies):
    """Writes the verdict and the anomalies (when any) into the annotations."""
    def given(label, value):
        try:
            return d.annotation_input(label, value)
        except Failure:
            raise Failure.business(f"annotation « {label} » absente") from None

    inputs = [given("Cohérent", ds.AnnotationValue_YesNo(not anomalies))]
    if anomalies:
        text = "\n".join(f"{a.champ} : {a.message}" for a in anomalies)
        inputs.append(given("Anomalies relevées", ds.AnnotationValue_Textarea(text)))
    with system("annotations"):
        ds.modifier_annotations(d.number, inputs)


def ask_correction(d, anomalies, day):
    body = correction_message(anomalies)

    def send():
        with system("message"):
            ds.envoyer_message(d.number, body, None, reason(anomalies))
        return "sent"

    outputs.once(d.number, "message", send)
    annotate(d, anomalies)
    outputs.once(d.number, "rapport", lambda: outputs.report(
        d.number, day, "correction demandée", len(anomalies), ""))
    champs = ", ".join(a.champ for a in anomalies)
    log.log(log.Level.INFO, "correction demandée", [("dossier", d.number), ("champs", champs)])
    return Outcome.done(f"correction demandée : {len(anomalies)} anomalie(s) ({champs})")


class Coherence(Robot):
    @classmethod
    def init(cls, settings):
        sirh = settings.get("sirh")
        if sirh is None:
            raise ValueError("setting `sirh` missing (base URL of the HR tool)")
        robot = cls()
        robot.sirh = sirh.rstrip("/")
        return robot

    def accept(self, d, day):
        # The data must not change once exported: pass it en instruction.
        with system("passer en instruction"):
            d.ensure_en_instruction()
        agent = outputs.Agent.read(d)
        outputs.once(d.number, "export", lambda: outputs.export(d.number, agent))
        numero = outputs.once(d.number, "sirh", lambda: outputs.sirh(self.sirh, agent))
        annotate(d, [])
        outputs.once(d.number, "rapport", lambda: outputs.report(d.number, day, "cohérent", 0, numero))
        return Outcome.done(f"cohérent : exporté et saisi dans le SIRH sous {numero}")

    def process(self, item):
        with system("dossier"):
            d = item.load_dossier()
        if d.state not in (ds.DossierState.EN_CONSTRUCTION, ds.DossierState.EN_INSTRUCTION):
            return Outcome.skipped("dossier déjà traité")
        day = today()
        anomalies = rules.check(d, day)
        if anomalies:
            outcome = ask_correction(d, anomalies, day)
        else:
            outcome = self.accept(d, day)
        outputs.forget(d.number)
        return outcome


WitWorld = export(Coherence)
