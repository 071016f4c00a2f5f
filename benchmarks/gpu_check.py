"""The device check: the CUDA tests and the paper preset's training jobs timed on one GPU, in
one go, within a budget (by default 8 minutes).

    python benchmarks/gpu_check.py [--budget-seconds 480] [--output PATH]   # as `make gpu-check` runs it
    python benchmarks/gpu_check.py --allow-cpu --quick --configfile FILE --output PATH   # a test on a CPU

It times the paper preset (config.yaml), or the presets given with ``--configfile`` merged
over it, as Snakemake merges them. Without a CUDA device it says that no GPU is present and
exits with status 2, unless ``--allow-cpu`` is given (then it measures the CPU, which says
nothing about a GPU: use it to test this script, with ``--quick`` and a small preset given
with ``--configfile``). On CUDA the record goes to results/bench/gpu_check.json
(``bnrank.paths.bench_record``; docs/results.md shows it, the card named); on a CPU only
where ``--output`` says.

The steps, one subprocess each, in this order, each with a time limit (its share of what is
left of the budget; a step whose share falls under a minimum is not started, and the record
says so):

1. the data sets the MLP experiments train on (``results/data/<set>.pt``), prepared with
   ``snakemake`` where missing. Where CIFAR-10 cannot be prepared (no download on the
   machine, no copy), its experiments are timed on the synthetic stand-in of the same shape
   (``data.cifar10.synthetic: true``, in a whole config derived from the preset), and the
   record says so and names the command that failed;
2. the CUDA tests: every test whose name says ``cuda`` or that is skipped for want of a CUDA
   device (selected by this module as a pytest plugin), with their pass/fail counts;
3. the CNN trainer (``benchmarks/cnn.py``: VGG19 and ResNet-50 at the published widths, the
   paper preset's, and the experiments' batch; ``--quick``: its smoke-test sizes, labelled so):
   images per second, from which the CNN experiments' jobs (every variant and seed,
   ``iterations`` SGD steps) are projected, one after another;
4. each MLP experiment (Figs 1, 4 — Fig 11 reads its runs —, 12 and 6) by
   ``benchmarks/paper_jobs.py`` (its command line only, so that this check does not depend
   on the training engine's API): its jobs as the workflow runs them, every depth, run for 1
   and for 2 epochs; their time at the preset's epochs is projected from the time per epoch
   (paper_jobs.py's projection). A step cut short by its limit keeps the jobs it finished
   (paper_jobs.py prints each) and its projection lists the jobs it lacks;
5. with the budget left: an experiment's jobs whole (the preset's epochs), cheapest first,
   where the projection says they fit — measured, not projected.

The record holds the card, torch and CUDA versions, the tests' outcome, every step (its
command, status, seconds, the JSON record it wrote under ``<output without .json>/``, its
log) and the projected total of the paper preset's training on this card, labelled as a
projection (pretraining and rank-at-initialisation jobs left out, as are the CNN jobs'
probe measurements between the first and the last). It exits non-zero where a test or a
step failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import yaml

from bnrank.settings import TrainingStage

REPO = Path(__file__).resolve().parents[1]
PLAN = {"tests": 45.0, "cnn": 75.0, "mlp": 360.0}  # seconds of a 480 s budget; the MLP share split by cost
MIN_STEP = 20.0  # seconds: a step given less is not started (--quick: QUICK_MIN_STEP)
QUICK_MIN_STEP = 5.0
DATA_LIMIT = 120.0  # seconds at most for preparing one data set
SAMPLES = {"fashion_mnist": 60000}  # training samples of a data set when train_samples is not set (CIFAR-10: 50000)


# ------------------------------------------------------------------ the CUDA tests' selection, as a pytest plugin


def _is_cuda_test(item) -> bool:
    """A test that needs CUDA: its name says so, or it is skipped for want of a CUDA device."""
    reasons = [str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif")]
    return "cuda" in item.name.lower() or any("cuda" in r.lower() for r in reasons)


def pytest_collection_modifyitems(config, items) -> None:  # pytest -p benchmarks.gpu_check
    keep = [i for i in items if _is_cuda_test(i)]
    config.hook.pytest_deselected(items=[i for i in items if not _is_cuda_test(i)])
    items[:] = keep


# ------------------------------------------------------------------ running steps


@dataclass
class Budget:
    seconds: float
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.start)


def run(command: list[str], log: Path, limit: float) -> tuple[int | None, float]:
    """Run ``command`` in the repository, its output into ``log``; its exit status (None when
    stopped at ``limit`` seconds: its whole process group is ended) and its wall time."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    began = time.monotonic()
    with open(log, "w") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        proc = subprocess.Popen(
            command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            code = proc.wait(timeout=max(limit, 1.0))
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    return code, time.monotonic() - began


def tail(log: Path, lines: int = 5) -> str:
    return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])


def printed_rows(log: Path) -> list[dict]:
    """The rows paper_jobs.py printed (one dict per finished job), for a run cut short."""
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                rows.append(ast.literal_eval(line))
            except (ValueError, SyntaxError):
                pass
    return rows


def printed_rates(log: Path) -> dict:
    """The trainer's images per second of each network cnn.py finished, as it printed them, in
    the form of its record's rows (for a run cut short)."""
    rows, network = [], None
    for line in log.read_text(errors="replace").splitlines():
        if head := re.match(r"^(\w+) \(width ×", line):
            network = head[1]
        elif network and (rate := re.search(r"this project's trainer .*?([\d.]+) images/s", line)):
            rows.append({"what": network, "trainer": f"{rate[1]} images/s"})
    return {"rows": rows}


def shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def configfile_args(files: list[Path] | list[str]) -> list[str]:
    """``--configfile`` with ``files`` for a snakemake or paper_jobs.py command; none if empty."""
    return ["--configfile", *map(str, files)] if files else []


# ------------------------------------------------------------------ projections


def projected_minutes(row: dict) -> float | None:
    """A paper_jobs.py row's projected time ("12.3 min ..."), in minutes."""
    value = next((v for k, v in row.items() if k.startswith("projected")), "")
    found = re.match(r"(-?[\d.]+) min", str(value))
    return float(found[1]) if found else None


def mlp_projection(rows: list[dict], name: str, e) -> dict:
    """The experiment's training jobs at the preset's epochs, one after another, from paper_jobs.py's
    rows: its total; for a run cut short, the jobs it finished, the others listed as missing."""
    total = next((r for r in rows if str(r.get("job", "")).startswith("all ")), None)
    if total and projected_minutes(total) is not None:
        return {"seconds": 60 * max(projected_minutes(total), 0.0), "complete": True, "missing": []}
    jobs = [r for r in rows if projected_minutes(r) is not None]
    seen = {str(r["job"]).removeprefix(f"{name} ") for r in jobs}
    expected = [f"{v} {stage}" for v in e.variants for stage in get_args(TrainingStage) if e.stage_seeds(stage)]
    if seen <= set(expected):
        missing = [job for job in expected if job not in seen]
    else:  # jobs named otherwise: the variants none of them names
        missing = [v for v in e.variants if not any(v in job.split() for job in seen)] + ["(cut short)"]
    seconds = sum(60 * max(projected_minutes(r), 0.0) for r in jobs) if jobs else None
    return {"seconds": seconds, "complete": not missing, "missing": missing}


def cnn_projection(record: dict, settings, width: float) -> dict:
    """The CNN experiments' jobs (every variant and seed) from the trainer's images per second."""
    rates = {}
    for row in record["rows"]:
        rate = re.match(r"([\d.]+) images/s", row.get("trainer", ""))
        if rate:
            rates[row["what"].split()[0]] = float(rate[1])
    out = {}
    for name, e in settings.cnn_experiments.items():
        if e.architecture not in rates:
            continue
        jobs = len(e.variants) * e.n_seeds
        out[name] = {
            "jobs": jobs,
            "images/s": rates[e.architecture],
            "seconds": jobs * e.iterations * e.batch / rates[e.architecture],
        }
    paper = math.isclose(width, settings.cnn.width)
    return {"experiments": out, "at the preset's width": paper}


def minutes(seconds: float | None) -> str:
    return "unmeasured" if seconds is None else f"{seconds / 60:.1f} min"


# ------------------------------------------------------------------ the check


def device() -> dict:
    import torch

    cuda = torch.cuda.is_available()
    info = {"cuda": cuda, "torch": torch.__version__, "cuda_version": torch.version.cuda}
    if cuda:
        props = torch.cuda.get_device_properties(0)
        info |= {
            "name": torch.cuda.get_device_name(0),
            "count": torch.cuda.device_count(),
            "memory_gib": round(props.total_memory / 2**30, 1),
            "cudnn": torch.backends.cudnn.version(),
        }
    else:
        from bnrank.runs import machine

        info["name"] = f"no GPU (the CPU measured: {machine()['cpu']})"
    return info


class Check:
    def __init__(self, args, settings, files: list[Path], gpu: dict) -> None:
        self.args, self.settings, self.files, self.gpu = args, settings, files, gpu
        # the preset as the record shows it: the --configfile files over config.yaml
        self.preset_files = " over ".join([*map(shown, files[::-1]), "config.yaml"])
        self.budget = Budget(args.budget_seconds)
        self.min_step = QUICK_MIN_STEP if args.quick else MIN_STEP
        self.steps: list[dict] = []
        self.skipped: list[dict] = []
        self.failed = False
        self.tests: dict = {"outcome": "not run"}
        self.data: dict = {}
        self.configs: dict[str, list[Path]] = {}  # experiment -> the --configfile files of its paper_jobs.py run
        self.projections: dict = {"mlp": {}, "cnn": {}}
        if args.output:
            self.output = Path(args.output).resolve()
            self.folder = self.output.with_suffix("")
        else:
            self.output, self.folder = None, Path(tempfile.mkdtemp(prefix="gpu_check_"))
        self.folder.mkdir(parents=True, exist_ok=True)

    # -------------------------------------------------------------- bookkeeping
    def step(self, name: str, what: str, command: list[str], limit: float, **extra) -> dict:
        log = self.folder / f"{name.replace(' ', '_')}.log"
        print(f"[gpu-check] {name}: {what} (limit {limit:.0f} s)", flush=True)
        code, seconds = run(command, log, limit)
        status = "timed out" if code is None else "done" if code == 0 else f"failed (exit {code})"
        record = {
            "step": name,
            "what": what,
            "command": " ".join(command),
            "status": status,
            "seconds": round(seconds, 1),
            "limit_s": round(limit),
            "log": shown(log),
            "returncode": code,
            **extra,
        }
        if code not in (0, None):
            record["result"] = f"failed: {tail(log)}"
        print(f"[gpu-check] {name}: {status} in {seconds:.1f} s", flush=True)
        self.steps.append(record)
        return record

    def skip(self, name: str, why: str) -> None:
        print(f"[gpu-check] {name}: not started: {why}", flush=True)
        self.skipped.append({"step": name, "why": why})

    def share(self, planned: float, later: float) -> float:
        """A step's limit: its planned share of what is left, ``later`` the plan of the steps after it."""
        return self.budget.left() * planned / (planned + later)

    # -------------------------------------------------------------- the steps
    def prepare_data(self, experiments: list[str]) -> None:
        from bnrank.paths import Paths

        paths = Paths("unused", self.settings.data.directory)
        needed = {}
        for name in experiments:
            needed.setdefault(self.settings.dataset_name(name), []).append(name)
        for dataset, users in needed.items():
            target = Path(paths.dataset(dataset))
            command = [sys.executable, "-m", "snakemake", "--cores", "1", str(target), *configfile_args(self.files)]
            shell = " ".join(["snakemake --cores 1", str(target), *configfile_args([*map(shown, self.files)])])
            status = "present" if (REPO / target).exists() else None
            if not status:
                done = self.step(f"data {dataset}", f"prepare {target}", command, min(DATA_LIMIT, self.budget.left()))
                status = "prepared" if done["status"] == "done" else None
            if status:
                self.data[dataset] = {"status": status, "path": str(target)}
                self.configs |= dict.fromkeys(users, self.files)
                continue
            self.data[dataset] = {"status": f"missing: `{shell}` {done['status']}", "command": shell}
            if dataset == "cifar10":
                self.stand_in(users, paths, shell)
            else:
                print(f"[gpu-check] {target} is missing and `{shell}` failed: prepare it, then rerun", flush=True)

    def stand_in(self, users: list[str], paths, shell: str) -> None:
        """CIFAR-10's experiments timed on its synthetic stand-in (the same shape), labelled so."""
        target = Path(paths.dataset("cifar10_synthetic"))
        if not (REPO / target).exists():
            command = [sys.executable, "-m", "snakemake", "--cores", "1", str(target), *configfile_args(self.files)]
            done = self.step(
                "data cifar10_synthetic", f"prepare {target}", command, min(DATA_LIMIT, self.budget.left())
            )
            if done["status"] != "done":
                return
        from bnrank.config import preset

        config = preset([*map(str, self.files)], str(REPO))
        config["data"]["cifar10"]["synthetic"] = True
        derived = self.folder / "config_stand_in.yaml"
        derived.write_text(yaml.safe_dump(config, sort_keys=False))
        self.configs |= dict.fromkeys(users, [derived])
        self.data["cifar10"]["timed on"] = (
            f"the synthetic stand-in {target} (CIFAR-10's shape; `{shell}` failed): timing only"
        )

    def cuda_tests(self, later: float) -> None:
        limit = self.share(PLAN["tests"], later)
        if limit < self.min_step:
            return self.skip(
                "cuda tests", f"its share of the budget left, {limit:.0f} s, is under {self.min_step:.0f} s"
            )
        report = self.folder / "cuda_tests.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.gpu_check", "-p", "no:cacheprovider"]
        command += ["--junitxml", str(report), "tests"]
        done = self.step("cuda tests", "the tests that need CUDA (pytest)", command, limit)
        counts = junit_counts(report) if report.exists() else {}
        if done["returncode"] == 5:
            done["status"] = "failed (no CUDA test found)"
        outcome = done["status"] if not counts else ", ".join(f"{v} {k}" for k, v in counts.items())
        if counts and not self.gpu["cuda"] and counts.get("skipped") == counts.get("tests"):
            outcome += " (no CUDA device)"
        self.tests = {"outcome": outcome, **counts, "status": done["status"], "report": shown(report)}
        done["result"] = outcome
        if done["status"] != "done":
            self.failed = True

    def cnn(self, later: float) -> None:
        limit = self.share(PLAN["cnn"], later)
        if limit < self.min_step:
            return self.skip("cnn", f"its share of the budget left, {limit:.0f} s, is under {self.min_step:.0f} s")
        experiments = self.settings.cnn_experiments
        architectures = list(dict.fromkeys(e.architecture for e in experiments.values()))
        batch = next(iter(experiments.values())).batch
        out = self.folder / "cnn.json"
        command = [sys.executable, "benchmarks/cnn.py", "--models", *architectures, "--output", str(out)]
        command += (
            ["--quick", "--repeats", "1", "--workers", "0"]
            if self.args.quick
            else ["--repeats", "1", "--batch", str(batch)]
        )
        width = 1 / 16 if self.args.quick else 1.0  # what cnn.py trains, whatever the config's cnn.width
        done = self.step("cnn", f"the CNN trainer: {', '.join(architectures)}", command, limit, record=shown(out))
        if done["status"] == "done":
            record = json.loads(out.read_text())
        elif done["status"] == "timed out":  # the networks it finished, as it printed them
            record = printed_rates(REPO / done["log"])
        else:
            self.failed = True
            return
        projection = cnn_projection(record, self.settings, width)
        self.projections["cnn"] = projection
        parts = [
            f"{n}: {len(experiments[n].variants)} variants × {p['jobs'] // len(experiments[n].variants)} seeds, "
            f"{p['images/s']:.0f} images/s → {minutes(p['seconds'])}"
            for n, p in projection["experiments"].items()
        ]
        label = (
            ""
            if projection["at the preset's width"] and not self.args.quick
            else ", at --quick's sizes, not the preset's"
        )
        done["result"] = "; ".join(parts) + f" (projection{label})" if parts else "no network finished"

    def mlp(self, name: str, planned: float, later: float) -> None:
        e = self.settings.experiments[name]
        limit = self.share(planned, later)
        if name not in self.configs:
            self.failed = True
            return self.skip(name, f"no data set: {self.data[self.settings.dataset_name(name)]['status']}")
        if limit < self.min_step:
            return self.skip(name, f"its share of the budget left, {limit:.0f} s, is under {self.min_step:.0f} s")
        depths = [min(e.depths)] if self.args.quick else list(e.depths)  # every depth: one stack per job
        out = self.folder / f"paper_jobs_{name}.json"
        command = [
            sys.executable,
            "benchmarks/paper_jobs.py",
            "--experiment",
            name,
            *configfile_args(self.configs[name]),
        ]
        command += ["--depths", *map(str, depths), "--epochs", "2", "--output", str(out)]
        what = f"{name}: {len(e.variants)} variants, depths {', '.join(map(str, depths))}, 1 and 2 epochs"
        done = self.step(name, what, command, limit, record=shown(out), depths=depths)
        rows = json.loads(out.read_text())["rows"] if done["status"] == "done" else printed_rows(REPO / done["log"])
        if done["status"] == "timed out":
            done["rows"] = rows
        elif done["status"] != "done":
            self.failed = True
            return
        projection = mlp_projection(rows, name, e)
        projection |= {"depths": list(e.depths), "epochs": e.epochs, "data": self.data_label(name)}
        self.projections["mlp"][name] = projection
        missing = f", variants not measured: {', '.join(projection['missing'])}" if projection["missing"] else ""
        done["result"] = (
            f"{len(e.variants)} variants × {len(e.depths)} depths, {e.epochs} epochs → "
            f"{minutes(projection['seconds'])} "
            f"(projection{missing})" + (f"; {projection['data']}" if projection["data"] else "")
        )

    def data_label(self, name: str) -> str:
        return self.data.get(self.settings.dataset_name(name), {}).get("timed on", "")

    def whole_jobs(self) -> None:
        """Each experiment's jobs whole (the preset's epochs), cheapest first, where the projection
        says they fit in the budget left: measured, start-up included."""
        candidates = []
        for step in self.steps:
            name, projection = step["step"], self.projections["mlp"].get(step["step"])
            if not projection or step["status"] != "done" or projection["seconds"] is None:
                continue
            # the preset's epochs of every job, and what measuring them cost besides
            candidates.append((projection["seconds"] + step["seconds"], name, step["depths"], projection["seconds"]))
        for cost, name, depths, projected in sorted(candidates):
            e, left = self.settings.experiments[name], self.budget.left()
            if cost * 1.25 + 5 > left or e.epochs < 2:
                self.skip(f"whole {name}", f"its whole jobs need about {cost:.0f} s, {left:.0f} s left")
                continue
            out = self.folder / f"whole_{name}.json"
            command = [sys.executable, "benchmarks/paper_jobs.py", "--experiment", name]
            command += [*configfile_args(self.configs[name]), "--depths", *map(str, depths)]
            command += ["--epochs", str(e.epochs), "--output", str(out)]
            what = f"{name}: its jobs whole, depths {', '.join(map(str, depths))}, {e.epochs} epochs"
            done = self.step(f"whole {name}", what, command, left, record=shown(out), depths=depths)
            if done["status"] != "done":
                self.failed |= done["status"] != "timed out"
                continue
            rows = json.loads(out.read_text())["rows"]
            took = [float(m[1]) for r in rows if (m := re.search(r"in ([\d.]+) s", str(r.get("measured", ""))))]
            done["result"] = f"{len(took)} whole jobs: {sum(took):.1f} s (measured, start-up included)"
            if sorted(depths) == sorted(e.depths):
                done["result"] += f"; projected from the epochs: {projected:.1f} s"

    # -------------------------------------------------------------- the record
    def projected_total(self) -> dict:
        mlp = {n: p["seconds"] for n, p in self.projections["mlp"].items()}
        cnn = {n: p["seconds"] for n, p in self.projections["cnn"].get("experiments", {}).items()}
        wanted = list(self.settings.experiments) + list(self.settings.cnn_experiments)
        parts = {**mlp, **cnn}
        missing = [n for n in wanted if parts.get(n) is None]
        missing += [
            f"{n} (variants {', '.join(p['missing'])})" for n, p in self.projections["mlp"].items() if p["missing"]
        ]
        seconds = sum(v for v in parts.values() if v is not None)
        return {
            "label": "projection",
            "preset": self.settings.preset,
            "card": self.gpu["name"],
            "minutes": round(seconds / 60, 1),
            "by_experiment_seconds": {n: None if v is None else round(v, 1) for n, v in parts.items()},
            "complete": not missing,
            "missing": missing,
            "left_out": "pretraining and rank-at-initialisation jobs; the CNN jobs' probe measurements between the "
            "first and the last",
        }

    def save(self) -> None:
        if not self.output:
            return
        from bnrank.runs import save_benchmark

        total = self.projected_total()
        card = self.gpu["name"]
        versions = f"torch {self.gpu['torch']}, CUDA {self.gpu['cuda_version']}"
        preset = f"the `{self.settings.preset}` preset's"
        rows = [{k: s.get(k, "") for k in ("step", "what", "status", "seconds", "result")} for s in self.steps] + [
            {"step": s["step"], "what": "", "status": "not started", "seconds": "", "result": s["why"]}
            for s in self.skipped
        ]
        incomplete = "" if total["complete"] else f"; incomplete, unmeasured: {', '.join(total['missing'])}"
        rows.append(
            {
                "step": f"{self.settings.preset} preset, all training",
                "what": f"every training job of {self.preset_files}, one after another, on this card",
                "status": "projection",
                "seconds": "",
                "result": f"{total['minutes']:.1f} min (projection{incomplete})",
            }
        )
        description = (
            f"The device check on {card} ({versions}): the CUDA tests ({self.tests['outcome']}) and {preset} "
            f"training jobs ({self.preset_files}) timed within a budget of {self.args.budget_seconds:.0f} s — "
            "measured epochs and a projection to the preset's (labelled as such), whole jobs where they fit. Each "
            "step's own record "
            f"and log are in `{shown(self.folder)}/`. All of {preset} training on this card: "
            f"{total['minutes']:.1f} min (projection{incomplete}; {total['left_out']} left out)."
        )
        if not self.gpu["cuda"]:
            description = "NO GPU: a test of the script on the CPU, not a GPU measurement. " + description
        command = "python benchmarks/gpu_check.py" + (" --quick" if self.args.quick else "")
        save_benchmark(str(self.output), command, description, rows)
        record = json.loads(self.output.read_text())
        record |= {
            "gpu": self.gpu,
            "budget_seconds": self.args.budget_seconds,
            "elapsed_seconds": round(self.args.budget_seconds - self.budget.left(), 1),
            "cuda_tests": self.tests,
            "data": self.data,
            "steps": self.steps,
            "skipped": self.skipped,
            "preset": self.settings.preset,
            "config": self.preset_files,
            "projected": total,
        }
        self.output.write_text(json.dumps(record, indent=1))


def junit_counts(report: Path) -> dict[str, int]:
    import xml.etree.ElementTree as ElementTree

    suite = ElementTree.parse(report).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    a = {k: int(suite.attrib.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    return {
        "tests": a["tests"],
        "passed": a["tests"] - a["failures"] - a["errors"] - a["skipped"],
        "failed": a["failures"],
        "errors": a["errors"],
        "skipped": a["skipped"],
    }


def mlp_cost(settings, name: str, quick: bool) -> float:
    """A rough measure of an MLP experiment's measurement cost, to split the budget between the
    experiments: per job (a variant's training stage, every depth in one stack, as many launches
    as its deepest net has layers), the layer-steps of the 1 + 2 epochs paper_jobs.py runs, plus
    a constant for start-up and data loading."""
    e = settings.experiments[name]
    deepest = min(e.depths) if quick else max(e.depths)
    samples = e.train_samples or SAMPLES.get(e.dataset, 50000)
    jobs = len(e.variants) * sum(1 for stage in get_args(TrainingStage) if e.stage_seeds(stage))
    return jobs * (3 * deepest * samples / e.batch + 20000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--budget-seconds", type=float, default=480.0, help="wall time of the whole check (%(default)s)"
    )
    parser.add_argument(
        "--configfile", nargs="*", default=[], help="presets merged over config.yaml, as Snakemake does (default: none)"
    )
    parser.add_argument("--output", help="the record (default on CUDA: results/bench/gpu_check.json; none on a CPU)")
    parser.add_argument("--allow-cpu", action="store_true", help="run without a GPU (a test of this script)")
    parser.add_argument("--quick", action="store_true", help="the smallest settings of every step")
    parser.add_argument("--steps", nargs="+", help="only these steps: tests, cnn, MLP experiment names (default all)")
    args = parser.parse_args()

    from bnrank.config import preset
    from bnrank.paths import bench_record
    from bnrank.settings import Settings

    gpu = device()
    if not gpu["cuda"] and not args.allow_cpu:
        print(
            f"gpu_check: no GPU present: torch.cuda.is_available() is False (torch {gpu['torch']}, built for CUDA "
            f"{gpu['cuda_version']}). This check times the paper preset on a CUDA GPU: run it on a machine with one, "
            "or pass --allow-cpu to test the script on the CPU.",
            file=sys.stderr,
        )
        sys.exit(2)
    if gpu["cuda"] and args.output is None:
        args.output = str(REPO / bench_record("gpu_check"))
    files = [Path(f).resolve() for f in args.configfile]  # its steps run in the repository
    settings = Settings.from_config(preset([*map(str, files)], str(REPO)))
    steps = args.steps or ["tests", "cnn", *settings.experiments]
    unknown = set(steps) - {"tests", "cnn", *settings.experiments}
    if unknown:
        parser.error(f"--steps: no step {', '.join(sorted(unknown))} (tests, cnn, {', '.join(settings.experiments)})")
    mlp = [n for n in settings.experiments if n in steps]
    print(
        f"[gpu-check] {gpu['name']} (torch {gpu['torch']}, CUDA {gpu['cuda_version']}), "
        f"budget {args.budget_seconds:.0f} s"
    )
    check = Check(args, settings, files, gpu)
    check.prepare_data(mlp)

    scale = args.budget_seconds / sum(PLAN.values())
    costs = {n: mlp_cost(settings, n, args.quick) for n in mlp}
    plan = {"tests": PLAN["tests"] * scale, "cnn": PLAN["cnn"] * scale}
    plan |= {n: PLAN["mlp"] * scale * c / sum(costs.values()) for n, c in costs.items()}
    order = [s for s in ("tests", "cnn", *mlp) if s in steps]
    for i, name in enumerate(order):
        later = sum(plan[s] for s in order[i + 1 :])
        if name == "tests":
            check.cuda_tests(later)
        elif name == "cnn":
            check.cnn(later)
        else:
            check.mlp(name, plan[name], later)
        check.save()
    check.whole_jobs()
    check.save()
    total = check.projected_total()
    print(f"[gpu-check] CUDA tests: {check.tests['outcome']}")
    print(
        f"[gpu-check] the {settings.preset} preset's training on {gpu['name']}: {total['minutes']:.1f} min (projection"
        + ("" if total["complete"] else f"; incomplete: {', '.join(total['missing'])}")
        + ")"
    )
    print(f"[gpu-check] record: {args.output or '(none: pass --output)'}; steps' records and logs: {check.folder}")
    sys.exit(1 if check.failed else 0)


if __name__ == "__main__":
    main()
