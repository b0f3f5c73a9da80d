"""Archives: many captures scored as independent tasks (in-process or on a Dask cluster),
resumably (a results cache), with views over the whole archive."""
