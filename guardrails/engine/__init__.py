"""Find files, skip what cannot matter, parse once, run all rules."""
