"""Tables: the Parquet side of the advice (partitions, row groups, sort order, dtypes), pure."""
