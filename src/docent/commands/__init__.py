"""Sub-commands of the ``docent`` command line, one group per file."""
