"""The scale experiments of the lessons, one module per area.

A notebook calls these and narrates their results; tests call them too, so every
claim a lesson makes is checked by code.
"""
