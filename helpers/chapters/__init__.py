"""What the chapter notebooks use: demonstrations of errors (``demo``), graph drawings (``graph``), the
shared widget panel (``panel``) and one module per chapter with its widget (``ch01`` ... ``chNN``)."""
