"""What every part of the loop shares: typed params, errors and exit codes, atomic
file writes, stable hashing, and the markdown helpers of reports and comments."""
