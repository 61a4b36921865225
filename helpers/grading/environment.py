"""The environment a grading worker runs in, and so the grading process its workers are forked from: one
thread per process (torch would otherwise start a thread pool in every worker), no bytecode files written,
matplotlib without a display. ``autograd-course grade`` sets it before it imports torch (``helpers.cli``)."""
ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
