"""Data for the course: seeded generators, partitioned storage and the shipped datasets.

>>> from scalingml import datasets
>>> datasets.load("churn").columns[-1]
'churned'
"""

from scalingml.datasets.commits import COMMIT_LOG_COLUMNS, make_commit_log
from scalingml.datasets.errors import DatasetError, DatasetNotFoundError
from scalingml.datasets.generators import (
    CUSTOMER_INFORMATIVE,
    CUSTOMER_NOISE_PREFIX,
    CUSTOMER_TARGET,
    make_customers,
    make_transactions,
)
from scalingml.datasets.people import (
    PEOPLE_ACTIONABLE,
    PEOPLE_IMMUTABLE,
    PEOPLE_PROXY,
    PEOPLE_QUASI_IDENTIFIERS,
    PEOPLE_SENSITIVE,
    PEOPLE_TARGET,
    PLANTED_BIAS,
    make_people,
    unbiased_outcome,
)
from scalingml.datasets.shipped import SHIPPED, data_dir, load, path, rebuild
from scalingml.datasets.storage import list_partitions, partition_bounds, read_partitions, read_table, write_partitioned

__all__ = [
    "COMMIT_LOG_COLUMNS",
    "CUSTOMER_INFORMATIVE",
    "CUSTOMER_NOISE_PREFIX",
    "CUSTOMER_TARGET",
    "PEOPLE_ACTIONABLE",
    "PEOPLE_IMMUTABLE",
    "PEOPLE_PROXY",
    "PEOPLE_QUASI_IDENTIFIERS",
    "PEOPLE_SENSITIVE",
    "PEOPLE_TARGET",
    "PLANTED_BIAS",
    "SHIPPED",
    "DatasetError",
    "DatasetNotFoundError",
    "data_dir",
    "list_partitions",
    "load",
    "make_commit_log",
    "make_customers",
    "make_people",
    "unbiased_outcome",
    "make_transactions",
    "partition_bounds",
    "path",
    "read_partitions",
    "read_table",
    "rebuild",
    "write_partitioned",
]
