"""Unit tests of the SDK's helpers, in plain CPython against the generated
bindings' types (``componentize-py bindings``; their functions are stubs,
so only what needs no host is tested here). Run:

    python3 -m unittest discover -s sdk/python/tests
"""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent
_bindings = tempfile.mkdtemp(prefix="pont-py-bindings-")
subprocess.run(
    [sys.executable, str(SDK / "pont_py.py"), "bindings", _bindings],
    check=True,
    stdout=subprocess.DEVNULL,
)
sys.path[:0] = [_bindings, str(SDK)]

import pont_sdk  # noqa: E402
from componentize_py_types import Err  # noqa: E402
from pont_sdk import Failure, Outcome, ds, ds_failure, export, sheets, system  # noqa: E402
from wit_world.imports import runner, types  # noqa: E402


def dossier(champs=(), annotations=()):
    def champ(cid, label, value):
        return ds.Champ(cid, label, value, [])

    return ds.Dossier(
        7, "RG9zc2llci03", 1, ds.DossierState.EN_CONSTRUCTION, False, None,
        "2026-01-01T00:00:00Z", None, None, "usager@example.org", ds.Demandeur_None_(),
        1, None, [], [champ(*c) for c in champs], [champ(*a) for a in annotations],
    )


class Reading(unittest.TestCase):
    def test_champs_and_annotations_by_label(self):
        d = dossier(
            champs=[("Champ-1", " Nom ", ds.ChampValue_Text("Dupont")),
                    ("Champ-2", "Montant", ds.ChampValue_Integer(12))],
            annotations=[("Champ-9", "Transmis", ds.ChampValue_Empty())],
        )
        self.assertEqual(d.champ_labelled("Nom").value.as_text(), "Dupont")
        self.assertEqual(d.champ_labelled("Montant").value.as_number(), 12.0)
        self.assertIsNone(d.champ_labelled("Montant").value.as_text())
        self.assertEqual(d.champ_labelled("Montant").value.files(), [])
        self.assertIsNone(d.champ_labelled("Absent"))
        given = d.annotation_input("Transmis", ds.AnnotationValue_Checkbox(True))
        self.assertEqual(given.id, "Champ-9")
        with self.assertRaises(Failure) as e:
            d.annotation_input("Numéro", ds.AnnotationValue_Checkbox(True))
        self.assertEqual(e.exception.kind, "business")
        self.assertEqual(e.exception.message, "annotation « Numéro » absente de la démarche")

    def test_dates_have_the_iso_shape(self):
        self.assertRegex(pont_sdk.today(), r"^\d{4}-\d{2}-\d{2}$")
        self.assertRegex(pont_sdk.now(), r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class Failures(unittest.TestCase):
    def test_only_unavailable_is_retried(self):
        with self.assertRaises(Failure) as down:
            with ds_failure("accepter"):
                raise Err(ds.DsError_Unavailable("timeout"))
        self.assertEqual(down.exception.kind, "system")
        self.assertEqual(down.exception.message, "accepter: Unavailable('timeout')")
        for refused in (ds.DsError_InvalidTransition("déjà"), ds.DsError_Denied("accepter")):
            with self.assertRaises(Failure) as e:
                with ds_failure("accepter"):
                    raise Err(refused)
            self.assertEqual(e.exception.kind, "business")

    def test_a_held_decision_is_a_proposal_not_an_error(self):
        def held():
            raise Err(ds.DsError_PendingApproval("proposal 3: refuser"))

        self.assertEqual(ds.decided(held).proposal, "proposal 3: refuser")
        self.assertEqual(ds.decided(lambda: "sent").sent, "sent")
        self.assertIsNone(ds.decided(lambda: "sent").proposal)

        def denied():
            raise Err(ds.DsError_Denied("refuser"))

        with self.assertRaises(Err):
            ds.decided(denied)

    def test_system_keeps_the_step(self):
        with self.assertRaises(Failure) as e:
            with system("Chorus, envoi"):
                raise Err(types.Error_Limit("quota"))
        self.assertEqual(e.exception.message, "Chorus, envoi: Limit('quota')")


class Export(unittest.TestCase):
    def test_failures_and_exceptions_reach_the_host_as_failures(self):
        class Picky(pont_sdk.Robot):
            @classmethod
            def init(cls, settings):
                robot = cls()
                robot.mode = settings.get_or("mode", "ok")
                return robot

            def process(self, item):
                if self.mode == "business":
                    raise Failure.business("dossier incomplet")
                if self.mode == "crash":
                    return 1 / 0
                return Outcome.done(f"dossier {item.number}")

        world = export(Picky)()
        item = runner.Item(5, None, 1, 1, None, None)
        world.init([])
        self.assertEqual(world.process(item), runner.Outcome_Done("dossier 5"))
        world.init([("mode", "business")])
        with self.assertRaises(Err) as e:
            world.process(item)
        self.assertEqual(e.exception.value, runner.Failure_Business("dossier incomplet"))
        world.init([("mode", "crash")])
        with self.assertRaises(Err) as e:
            world.process(item)
        self.assertIsInstance(e.exception.value, runner.Failure_System)
        self.assertIn("ZeroDivisionError", e.exception.value.value)

    def test_a_bad_setting_refuses_to_start(self):
        class Strict(pont_sdk.Robot):
            @classmethod
            def init(cls, settings):
                settings.parse("count", int)
                return cls()

        with self.assertRaises(Err) as e:
            export(Strict)().init([("count", "douze")])
        self.assertEqual(e.exception.value, "setting `count`: cannot parse `douze`")


class Cells(unittest.TestCase):
    def test_cells_read_as_a_person_would(self):
        self.assertEqual(sheets.to_text(sheets.number(12.0)), "12")
        self.assertEqual(sheets.to_text(sheets.number(1.5)), "1.5")
        self.assertEqual(sheets.to_text(sheets.Cell_Empty()), "")
        self.assertEqual(sheets.to_text(sheets.date("2026-02-03")), "2026-02-03")


if __name__ == "__main__":
    unittest.main()
