"""GR0: bad input (files that cannot be analysed, suppressions that cannot be
right). The engine reports these; they never visit."""
