"""Where a benchmark ran, and how its figures are stored: each script's figures go to one JSON file under
benchmarks/figures/, with the machine, the date and the settings, so the README and the chapters can quote them."""
import datetime
import json
import os
import platform
from pathlib import Path

import torch

FIGURES = Path(__file__).resolve().parent / "figures"
TIMER = ("helpers.chapters.ch07.median_ms: the functions of a row timed in turns on one torch thread, by that "
         "thread's CPU time (time.thread_time): time spent waiting for a busy CPU is not counted, but sharing its "
         "caches with other programs still slows the work down")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def describe():
    """The machine as the figures should name it; the load average tells whether it was idle."""
    return {"date": datetime.date.today().isoformat(), "cpu": cpu_name(), "cores": os.cpu_count(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def headline(machine):
    return (f"{machine['date']} · {machine['cpu']} ({machine['cpu_capability']}) · {machine['cores']} core(s), "
            f"{machine['threads']} thread(s) · load {machine['load_average_1min']} · torch {machine['torch']}")


def store(name, figures):
    """Write ``figures`` (plain data; floats kept to 4 decimals) to benchmarks/figures/NAME.json; return the path."""
    FIGURES.mkdir(exist_ok=True)
    path = FIGURES / f"{name}.json"
    path.write_text(json.dumps(_rounded({"timer": TIMER, **figures}), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value
