"""The ``autograd-course`` command line: one sub-command per instructor or student task."""
import argparse
import importlib
import os
import sys

from helpers import lean_imports  # noqa: F401  (before any command imports nbformat)

# Each module offers register(subparsers): it adds its sub-commands, each with a ``run(args) -> exit code``.
COMMAND_MODULES = ("helpers.authoring.release", "helpers.authoring.run", "helpers.authoring.editions",
                   "helpers.authoring.handout", "helpers.authoring.new_exercise", "helpers.grading",
                   "helpers.grading.gradescope")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="autograd-course", description="autograd-course 教师与学生工具")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    args = parser.parse_args(argv)
    if argv is None:  # this process is the command, not a caller that runs it in-process (a test)
        return run_as_command(args)
    return args.run(args)


def run_as_command(args):
    """Run a sub-command as this process's only task, with the options its parser set as defaults.

    ``environment``: variables to set before the command imports torch (which reads its thread settings
    then). ``exit_now``: skip the interpreter's teardown at the end, half a second once torch is imported;
    the command has closed its files by then.
    """
    os.environ.update(getattr(args, "environment", None) or {})
    sys.dont_write_bytecode = sys.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE") == "1"
    code = args.run(args)
    if getattr(args, "exit_now", False):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
