"""What the course's authors run: ``release`` makes the student notebooks from the solutions, and ``run`` is
the one place that knows how a notebook is executed (kernel environment, cell timeout), for ``release``,
``autograd-course outputs`` (``make outputs``) and the tests' nbval."""
