"""A real single-node Slurm cluster on this machine, for tests/test_slurm.py.

munged, slurmctld and slurmd run as child processes of the test, on free ports, with every
file they write (munge key and socket, slurm.conf, state, spool, logs, pid files) in one
temporary folder; ``Cluster.env`` (``SLURM_CONF``, ``PATH``) points Slurm's commands, and
the jobs they start, at it. ``Cluster.stop`` ends the daemons by their process ids and removes the
folder. The node's GPUs exist in Slurm's books only (gres backed by /dev/null, /dev/zero and
/dev/full): a job asking ``--gpus=1`` gets ``CUDA_VISIBLE_DEVICES=0`` (or 1, 2) and runs on the CPU.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
COMMANDS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel", "srun")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full")  # stand-ins for GPU device files: the node's GPUs, at most three
OPT_OUT = "BNRANK_SKIP_SLURM"  # set (to anything) to skip the Slurm tests


def unavailable() -> str | None:
    """Why no cluster can be started here, or None when one can."""
    if os.environ.get(OPT_OUT):
        return f"{OPT_OUT} is set"
    if not sys.platform.startswith("linux"):
        return "a local Slurm cluster needs Linux"
    if os.geteuid() != 0:
        return "a local Slurm cluster needs root (slurmd runs jobs as their user; apt-get installs Slurm)"
    if not installed() and not shutil.which("apt-get"):
        return f"{' and '.join(PACKAGES)} are not installed and there is no apt-get to install them"
    return None


def installed() -> bool:
    return all(shutil.which(command) for command in COMMANDS)


def install() -> None:
    """Installs Slurm and MUNGE with apt-get unless their commands are there; the packages'
    services are not started (a policy-rc.d refuses them while installing)."""
    if installed():
        return
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
            subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    finally:
        if ours:
            policy.unlink()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    root: Path  # every file of the cluster
    env: dict[str, str]  # what Slurm's commands, and whatever calls them, need in their environment
    daemons: dict[str, subprocess.Popen]  # by name, in the order they started

    def run(self, *command: str) -> str:
        """The output of one of Slurm's commands on this cluster."""
        done = subprocess.run(command, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=30)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr}")
        return done.stdout

    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job``'s fields of a job, running or finished (slurm.conf keeps
        finished ones for MinJobAge)."""
        fields = self.run("scontrol", "show", "job", "--oneliner", job_id).split()
        return dict(field.split("=", 1) for field in fields if "=" in field)

    def answers(self, *command: str) -> str:
        """The output of one of Slurm's commands, or "" while the cluster does not answer."""
        try:
            return self.run(*command)
        except (RuntimeError, subprocess.TimeoutExpired):
            return ""

    def logs(self) -> str:
        """The daemons' logs, for error messages."""
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.root.glob("*.log")))

    def stop(self) -> None:
        """Cancels what is left of its jobs, ends its daemons (by process id) and removes its folder."""
        if "slurmctld" in self.daemons:
            self.answers("scancel", "--user", str(os.geteuid()))
            deadline = time.monotonic() + 30
            while self.answers("squeue", "--noheader", "--states=running,completing") and time.monotonic() < deadline:
                time.sleep(0.5)
        for process in reversed(self.daemons.values()):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root)


def wait_for(condition: Callable[[], bool], seconds: float, cluster: Cluster, what: str) -> None:
    """Polls ``condition`` until it holds; raises with the daemons' logs after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"local Slurm cluster: no {what} after {seconds} s\n{cluster.logs()}")
        exited = [name for name, process in cluster.daemons.items() if process.poll() is not None]
        if exited:
            raise RuntimeError(f"local Slurm cluster: {', '.join(exited)} exited\n{cluster.logs()}")
        time.sleep(0.5)


def slurm_conf(root: Path, host: str, cpus: int, memory_mb: int, gpus: int) -> str:
    return f"""\
ClusterName=bnrank-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# finished jobs stay in scontrol and squeue for an hour: squeue then gives their status
MinJobAge=3600
# a job past its time limit is killed at once (Slurm checks limits every 30 s)
KillWait=1
ReturnToService=2
# the node as declared here, even where the machine has fewer CPUs or less memory
SlurmdParameters=config_overrides
GresTypes=gpu
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:{gpus} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def start(cpus: int, memory_mb: int, gpus: int) -> Cluster:
    """Starts a cluster of one node with ``cpus`` CPUs, ``memory_mb`` MB and ``gpus`` GPUs,
    and waits until the node is idle."""
    root = Path(tempfile.mkdtemp(prefix="slurm-"))
    root.chmod(0o755)  # munged wants its socket's folders open to all
    (root / "state").mkdir()
    (root / "spool").mkdir()
    key = root / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    host = socket.gethostname().split(".")[0]
    (root / "slurm.conf").write_text(slurm_conf(root, host, cpus, memory_mb, gpus))
    # a GPU is a gres with a device file (one without is counted as 0 and drains the node)
    (root / "gres.conf").write_text(f"Name=gpu File={','.join(DEVICES[:gpus])}\n")
    # The job step executor (snakemake-executor-plugin-slurm-jobstep 0.6.1) drops SLURM_* variables,
    # SLURM_CONF included, from the environment of the srun it starts in each job; on a real
    # node srun finds /etc/slurm/slurm.conf, here an srun first on PATH points at this cluster's.
    (root / "bin").mkdir()
    srun = root / "bin" / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF={root}/slurm.conf exec {shutil.which("srun")} "$@"\n')
    srun.chmod(0o755)
    env = {"SLURM_CONF": str(root / "slurm.conf"), "PATH": f"{root}/bin{os.pathsep}{os.environ['PATH']}"}
    cluster = Cluster(root, env, {})
    munged = ["munged", "--foreground", f"--socket={root}/munge.socket", f"--key-file={key}"]
    munged += [f"--pid-file={root}/munged.pid", f"--log-file={root}/munged.log", f"--seed-file={root}/munged.seed"]
    try:
        for name, command in [("munged", munged), ("slurmctld", ["slurmctld", "-D"]), ("slurmd", ["slurmd", "-D"])]:
            with open(root / f"{name}.out.log", "w") as output:
                cluster.daemons[name] = subprocess.Popen(
                    command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **cluster.env}
                )
            if name == "munged":
                wait_for((root / "munge.socket").exists, 30, cluster, "munge socket")
        wait_for(
            lambda: cluster.answers("sinfo", "--noheader", "--Node", "--format=%t").strip() == "idle",
            60,
            cluster,
            "idle node",
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster
