# Exercises: interpreter start-up only. The trace holds everything CPython
# allocates from Py_InitializeFromConfig (builtins, sys, the import system,
# site and the encodings) up to the first line of a script, and the report
# is the heap a worker process has before it runs any code of its own.
#
#   pytrace -o startup.trace.gz --stats startup.stats.txt startup.py
