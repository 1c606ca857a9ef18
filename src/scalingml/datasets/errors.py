"""Errors raised when data cannot be found or read; each names the file and what to do."""

from scalingml.errors import ScalingmlError


class DatasetError(ScalingmlError):
    """A dataset could not be read: the message names the file and the problem."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset name or file does not exist."""
