"""Checking answers: ``observe`` turns an answer into plain data where the student's code runs, ``diagnose``
names the likely mistake, ``kinds`` defines the exercise kinds (function, value, choice), ``verdict`` is what
a student sees and ``check`` is the notebook's entry point."""
