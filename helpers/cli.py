"""The ``autograd-course`` command line: one sub-command per instructor or student task."""
import argparse
import importlib
import sys

# Each module offers register(subparsers): it adds its sub-commands, each with a ``run(args) -> exit code``.
COMMAND_MODULES = ("helpers.release", "helpers.grading")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="autograd-course", description="autograd-course 教师与学生工具")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
