"""``pont-py``: make ``robot.wasm`` from a Python robot, with componentize-py.

    pont-py build robot.py -o robot.wasm      # the component
    pont-py bindings bindings/                # the generated modules, for an editor

The bindings (``wit_world``) are generated from the ``pont:robot`` WIT at
each build and never committed. The WIT is ``--wit``, else ``$PONT_WIT``,
else the ``wit/`` of the Pont checkout this SDK sits in.

``build`` runs, in effect::

    componentize-py -d WIT -w pont:robot/robot componentize MODULE \\
        -p ROBOT_DIR -p SDK_DIR [-p EXTRA…] -o robot.wasm
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

WORLD = "pont:robot/robot"
SDK_DIR = Path(__file__).resolve().parent


def wit_dir(given):
    """The WIT package to build against; an error names what was tried."""
    candidates = [given, os.environ.get("PONT_WIT"), SDK_DIR.parent.parent / "wit"]
    for c in candidates:
        if c and (Path(c) / "world.wit").is_file():
            return Path(c)
    tried = ", ".join(str(c) for c in candidates if c)
    raise SystemExit(f"pont-py: no pont:robot WIT found (tried {tried}); pass --wit DIR")


def componentize_py():
    """The componentize-py command: on PATH, else beside this Python."""
    found = shutil.which("componentize-py")
    if found:
        return [found]
    return [sys.executable, "-m", "componentize_py"]


def build_command(robot: Path, output: Path, wit: Path, extra_paths):
    """The componentize-py command line that builds ``robot`` into ``output``."""
    if robot.suffix != ".py" or not robot.is_file():
        raise SystemExit(f"pont-py: {robot} is not a Python file")
    cmd = componentize_py() + ["-d", str(wit), "-w", WORLD, "componentize", robot.stem]
    for p in [robot.parent, SDK_DIR, *extra_paths]:
        cmd += ["-p", str(p)]
    return cmd + ["-o", str(output)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pont-py", description=__doc__.split("\n")[0])
    parser.add_argument("--wit", help="the pont:robot WIT directory")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="make robot.wasm from a robot module")
    b.add_argument("robot", type=Path, help="the robot's module, e.g. robot.py")
    b.add_argument("-o", "--output", type=Path, default=Path("robot.wasm"))
    b.add_argument("-p", "--path", type=Path, action="append", default=[],
                   help="another directory of pure-Python packages the robot imports")
    g = sub.add_parser("bindings", help="write the generated modules, for an editor")
    g.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    wit = wit_dir(args.wit)
    if args.command == "build":
        cmd = build_command(args.robot.resolve(), args.output.resolve(), wit, args.path)
    else:
        cmd = componentize_py() + ["-d", str(wit), "-w", WORLD, "bindings", str(args.directory)]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
