"""The scale experiments of the lessons: a module per challenge (area 04's in the ``talent`` subpackage), and
shared helpers (``features``).

A notebook calls these and narrates their results; tests call them too, so every
claim a lesson makes is checked by code.
"""
