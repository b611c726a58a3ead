"""CLI startup: median wall time of `accord --help`, `accord --version` and real commands
(`accord team list --json`, `user list`, `collection list`, `feeds list`, `exercise list`, ...
on a migrated SQLite hub), each in a fresh interpreter.

    .venv/bin/python bench/cli_startup.py --runs 9
    .venv/bin/python bench/cli_startup.py --runs 9 --compare /tmp/accord-main   # another tree

`--compare DIR` times the same commands from another checkout of Accord (for example
`git archive main | tar -x -C DIR`) in the same run, interleaved, and prints the ratio. The
1-minute load average is printed with the figures: other processes on the cores slow every
start. The CPU time of each start (user + system, from the child's rusage) is printed too: it
is much less sensitive to that load than the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: list[tuple[str, list[str]]] = [
    ("accord --help", ["--help"]),
    ("accord --version", ["--version"]),
    ("accord team list --json", ["team", "list", "--json"]),
    ("accord user list --json", ["user", "list", "--json"]),
    ("accord collection list", ["collection", "list"]),
    ("accord agreements list", ["agreements", "list"]),
    ("accord feeds status", ["feeds", "status"]),
    ("accord exercise list", ["exercise", "list"]),
    ("accord db check", ["db", "check"]),
]


def environment(tree: Path, instance: Path) -> dict[str, str]:
    """The environment of an `accord` process running the code of ``tree`` on a test hub."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"PYTHONPATH": os.pathsep.join([str(tree / "platform"), str(tree)]),
                "ACCORD_SECRET_KEY": "cli-startup-bench-" + "x" * 24,
                "ACCORD_INSTANCE_PATH": str(instance),
                "ACCORD_DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}"})
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(tree: Path, env: dict[str, str], args: list[str]) -> tuple[float, float]:
    """Seconds for one `python -m accord ARGS` from start to exit (it must succeed): wall time
    and CPU time (user + system). It runs in ``tree``: `-m` puts the working directory first on
    the path, so the features (`feeds`, ...) must come from the same tree as `accord`."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "accord", *args], env=env, check=True, cwd=tree,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return time.perf_counter() - started, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="starts per command (median)")
    parser.add_argument("--compare", type=Path, default=None, metavar="DIR",
                        help="another Accord checkout to time in the same run")
    options = parser.parse_args()
    trees = {"this tree": ROOT}
    if options.compare is not None:
        trees["compare"] = options.compare.resolve()
    with tempfile.TemporaryDirectory(prefix="accord-cli-bench-") as temp:
        instance = Path(temp)
        envs = {label: environment(tree, instance) for label, tree in trees.items()}
        subprocess.run([sys.executable, "-m", "accord", "db", "upgrade"], env=envs["this tree"],
                       cwd=ROOT, check=True, capture_output=True, timeout=600)
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(options.runs):
            for name, args in COMMANDS:
                for label, env in envs.items():
                    times.setdefault((label, name), []).append(
                        run_once(trees[label], env, args))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    for column, kind in ((0, "wall time"), (1, "CPU time, user + system")):
        print(f"\nmedian of {options.runs} starts (seconds, {kind})")
        print(f"{'command':28}" + "".join(f"{label:>12}" for label in trees)
              + ("       ratio" if len(trees) > 1 else ""))
        for name, _ in COMMANDS:
            medians = [statistics.median(t[column] for t in times[(label, name)])
                       for label in trees]
            ratio = f"{medians[1] / medians[0]:11.1f}x" if len(medians) > 1 else ""
            print(f"{name:28}" + "".join(f"{m:12.3f}" for m in medians) + ratio)


if __name__ == "__main__":
    main()
