"""The course's exercises: ``chNN.py`` defines the exercises of chapter NN (their reference answers, the inputs
they are checked on, the typical mistakes and every message, in zh and en). The engine (``helpers``) loads them
through one registry, ``helpers.exercises``; students never receive these modules (see ``autograd-course handout``).
"""
